// Live presence in the designer, across two web processes on one database: who has a flow open
// shows up in the others' designers at once, goes when they leave or their process dies, and a
// saved draft reaches the other designers as a live event naming the tab that saved it.
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/http.ts';

interface Editor {
  userId: number;
  name: string;
  editing: boolean;
  since: string;
}
interface Presence {
  definitionId: number;
  editors: Editor[];
}

let app: TestApp;
let second: { url: string; stop(signal?: NodeJS.Signals): Promise<void> };
let definitionId: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  second = await app.startWeb();
  const [row] = await app.db.orm.em.fork().execute<{ id: number }[]>(`select id from workflow_definition where key = 'reorder'`);
  definitionId = Number(row.id);
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await app?.stop();
});

async function session(role: string, base = app.url): Promise<Browser> {
  const b = new Browser(base);
  await b.login(app.credentials.users.find((u) => u.role === role)!.email, app.password(role));
  return b;
}

async function connect(role: string, base = app.url): Promise<{ socket: Socket; userId: number; browser: Browser }> {
  const browser = await session(role, base);
  const socket = io(base, { transports: ['websocket'], extraHeaders: { Cookie: browser.cookieHeader }, reconnection: false, forceNew: true });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => reject(e));
  });
  const email = app.credentials.users.find((u) => u.role === role)!.email;
  const [user] = await app.db.orm.em.fork().execute<{ id: number }[]>('select id from app_user where email = ?', [email]);
  return { socket, userId: Number(user.id), browser };
}

const join = (s: Socket, id: unknown) => s.emitWithAck('designer:join', { definitionId: id }) as Promise<{ editors?: Editor[]; error?: string }>;

/** Resolves with the first presence list for the definition that satisfies `test`. */
const presence = (s: Socket, test: (editors: Editor[]) => boolean, ms = 8000) =>
  new Promise<Editor[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      s.off('designer:presence', on);
      reject(new Error('no such presence within timeout'));
    }, ms);
    const on = (m: Presence) => {
      if (m.definitionId !== definitionId || !test(m.editors)) return;
      clearTimeout(timer);
      s.off('designer:presence', on);
      resolve(m.editors);
    };
    s.on('designer:presence', on);
  });

const ids = (editors: Editor[]) => editors.map((e) => e.userId).sort((a, b) => a - b);

describe('designer presence', () => {
  it('shows who has the flow open to everyone there, across web processes, and drops them when they leave', async () => {
    const ops = await connect('ops_manager', app.url);
    const admin = await connect('admin', second.url);
    const executive = await connect('executive', app.url);

    const first = await join(ops.socket, definitionId);
    expect(ids(first.editors!)).toContain(ops.userId);

    // The admin arrives through the other web process: the ops manager hears of it, and the admin's ack lists both.
    const opsSeesAdmin = presence(ops.socket, (e) => ids(e).includes(admin.userId));
    const adminJoined = await join(admin.socket, definitionId);
    expect(ids(adminJoined.editors!)).toEqual(ids([...first.editors!, { userId: admin.userId } as Editor]));
    const seen = await opsSeesAdmin;
    expect(seen.find((e) => e.userId === admin.userId)).toMatchObject({ name: expect.any(String), editing: true });

    // A reader is shown as looking, not editing.
    const adminSeesExec = presence(admin.socket, (e) => ids(e).includes(executive.userId));
    await join(executive.socket, definitionId);
    expect((await adminSeesExec).find((e) => e.userId === executive.userId)).toMatchObject({ editing: false });

    // Navigating away (leave) and closing the tab (disconnect) both remove the entry, everywhere.
    const execGone = presence(admin.socket, (e) => !ids(e).includes(executive.userId));
    executive.socket.emit('designer:leave', { definitionId });
    await execGone;
    const adminGone = presence(ops.socket, (e) => !ids(e).includes(admin.userId));
    admin.socket.close();
    expect(ids(await adminGone)).toEqual([ops.userId]);
    ops.socket.close();
    await expect
      .poll(async () =>
        Number(
          (await app.db.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from designer_presence where definition_id = ?', [definitionId]))[0].n,
        ),
      )
      .toBe(0);
  });

  it('refuses roles that may not see flows, and flows that do not exist', async () => {
    const warehouse = await connect('warehouse');
    expect(await join(warehouse.socket, definitionId)).toEqual({ error: 'forbidden' });
    const agent = await connect('agent');
    expect(await join(agent.socket, 999_999)).toEqual({ error: 'not_found' });
    expect(await join(agent.socket, 'reorder')).toMatchObject({ error: 'invalid', errors: [{ field: 'definitionId' }] });
    // Nothing of theirs reaches a room they did not join.
    const other = await connect('ops_manager');
    let leaked = false;
    agent.socket.on('designer:presence', () => {
      leaked = true;
    });
    await join(other.socket, definitionId);
    await new Promise((r) => setTimeout(r, 300));
    expect(leaked).toBe(false);
    other.socket.close();
  });

  it('tells the others at once when a draft is saved, naming the tab that saved it', async () => {
    const watcher = await connect('admin');
    await watcher.socket.emitWithAck('subscribe', { topics: ['workflows'] });
    const saved = new Promise<{ type: string; payload: Record<string, unknown> }>((resolve) => {
      watcher.socket.on('event', (e: { type: string; payload: Record<string, unknown> }) => {
        if (e.type === 'draft.saved' && e.payload.definitionId === definitionId) resolve(e);
      });
    });
    // The ops manager's designer autosaves through the page's action, on the other web process.
    const ops = await session('ops_manager', second.url);
    const [{ draft }] = await app.db.orm.em.fork().execute<{ draft: unknown }[]>('select draft from workflow_definition where id = ?', [definitionId]);
    const res = await ops.post('/workflows/reorder', { intent: 'save', graph: JSON.stringify(draft), tab: 'tab-of-ops' });
    expect(res.status).toBeLessThan(400);
    const event = await saved;
    expect(event.payload).toMatchObject({
      definitionId,
      key: 'reorder',
      by: app.credentials.users.find((u) => u.role === 'ops_manager')!.email,
      tab: 'tab-of-ops',
    });
  });

  it('forgets the designers of a web process that died, once their rows are not refreshed', async () => {
    const ops = await connect('ops_manager', app.url);
    const admin = await connect('admin', second.url);
    await join(ops.socket, definitionId);
    const both = presence(ops.socket, (e) => ids(e).includes(admin.userId));
    await join(admin.socket, definitionId);
    await both;
    // SIGKILL: no goodbye, no cleanup. The surviving process sweeps the stale row after PRESENCE_TTL_MS (3 s in tests).
    const gone = presence(ops.socket, (e) => !ids(e).includes(admin.userId), 15_000);
    await second.stop('SIGKILL');
    expect(ids(await gone)).toEqual([ops.userId]);
  }, 30_000);
});
