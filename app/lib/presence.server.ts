// Live presence: who has a flow open in the designer, and who is viewing (or typing on) a ticket, across
// every web process.
//
// Each open page is a row (socket, subject, user) in its space's table, written by the web process that
// holds the socket. A change NOTIFYs `presence` with `<space>:<id>`; every web process listens, re-reads
// that subject's rows and sends the list to its sockets in the subject's room. Each process refreshes its
// rows on a heartbeat and sweeps rows nobody refreshed for `ttlMs` (a process that died without saying
// goodbye), so a crash costs at most `ttlMs`.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Server, Socket } from 'socket.io';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import type { CurrentUser } from './auth.server.ts';
import { can, type Permission } from './permissions.ts';
import { onEvent } from './socket-events.server.ts';
import { db } from './db.server.ts';
import { Id } from './ids.ts';
import type { DesignerEditor, TicketViewer } from './presence.ts';

export const PRESENCE_CHANNEL = 'presence';

export interface PresenceOptions {
  /** How often this process refreshes its rows and sweeps stale ones. */
  heartbeatMs?: number;
  /** A row not refreshed for this long belongs to a process that is gone. */
  ttlMs?: number;
}

interface Row {
  socketId: string;
  user: CurrentUser;
  node: string;
}

/** One kind of page people are present on: its table's statements, who may join, what the browser is sent. */
interface Space<P> {
  name: 'designer' | 'ticket';
  permission: Permission;
  /** The payload field naming the subject (`definitionId`, `ticketId`). */
  field: 'definitionId' | 'ticketId';
  /** Adds (or refreshes) the socket's row; false when the subject does not exist. */
  join(em: EntityManager, id: number, row: Row): Promise<boolean>;
  /** Who is there now: one entry per user, earliest arrival first. */
  list(em: EntityManager, id: number, expired: RawBuilder<Date>): Promise<P[]>;
  /** Removes the socket's rows (of one subject, or all); answers the subjects they were on. */
  remove(em: EntityManager, socketId: string, id?: number): Promise<number[]>;
  refresh(em: EntityManager, node: string): Promise<void>;
  /** Deletes rows last seen before `expired` (or of `node`); answers their subjects. */
  sweep(em: EntityManager, by: { expired: RawBuilder<Date> } | { node: string }): Promise<number[]>;
}

const ids = (rows: { id: number | string }[]) => rows.map((r) => Number(r.id));

const DESIGNER: Space<DesignerEditor> = {
  name: 'designer',
  permission: 'workflows.view',
  field: 'definitionId',
  async join(em, id, r) {
    const row = await db(em)
      .insertInto('designer_presence')
      .columns(['definition_id', 'socket_id', 'user_id', 'user_name', 'editing', 'node', 'joined_at', 'seen_at'])
      .expression((eb) =>
        eb
          .selectFrom('workflow_definition as d')
          .select([
            'd.id',
            eb.val(r.socketId).as('socket_id'),
            eb.val(r.user.id).as('user_id'),
            eb.val(r.user.name).as('user_name'),
            eb.val(can(r.user.role, 'workflows.edit')).as('editing'),
            eb.val(r.node).as('node'),
            sql<Date>`now()`.as('joined_at'),
            sql<Date>`now()`.as('seen_at'),
          ])
          .where('d.id', '=', id),
      )
      .onConflict((oc) => oc.columns(['socket_id', 'definition_id']).doUpdateSet({ seen_at: sql`now()` }))
      .returning('id')
      .executeTakeFirst();
    return !!row;
  },
  async list(em, id, expired) {
    const rows = await db(em)
      .selectFrom('designer_presence')
      .select((eb) => [
        'user_id',
        eb.fn.min('user_name').as('name'),
        eb.fn.agg<boolean>('bool_or', ['editing']).as('editing'),
        eb.fn.min('joined_at').as('since'),
      ])
      .where('definition_id', '=', id)
      .where('seen_at', '>', expired)
      .groupBy('user_id')
      .orderBy((eb) => eb.fn.min('joined_at'))
      .orderBy('user_id')
      .execute();
    return rows.map((r) => ({ userId: Number(r.user_id), name: r.name, editing: r.editing, since: new Date(r.since).toISOString() }));
  },
  remove: async (em, socketId, id) =>
    ids(
      await db(em)
        .deleteFrom('designer_presence')
        .where('socket_id', '=', socketId)
        .$if(id !== undefined, (d) => d.where('definition_id', '=', id!))
        .returning('definition_id as id')
        .execute(),
    ),
  refresh: async (em, node) => {
    await db(em)
      .updateTable('designer_presence')
      .set({ seen_at: sql`now()` })
      .where('node', '=', node)
      .execute();
  },
  sweep: async (em, by) =>
    ids(
      await db(em)
        .deleteFrom('designer_presence')
        .where((eb) => ('node' in by ? eb('node', '=', by.node) : eb('seen_at', '<', by.expired)))
        .returning('definition_id as id')
        .execute(),
    ),
};

const TICKET: Space<TicketViewer> = {
  name: 'ticket',
  permission: 'service.view',
  field: 'ticketId',
  async join(em, id, r) {
    const row = await db(em)
      .insertInto('ticket_presence')
      .columns(['ticket_id', 'socket_id', 'user_id', 'user_name', 'typing', 'node', 'joined_at', 'seen_at'])
      .expression((eb) =>
        eb
          .selectFrom('ticket as t')
          .select([
            't.id',
            eb.val(r.socketId).as('socket_id'),
            eb.val(r.user.id).as('user_id'),
            eb.val(r.user.name).as('user_name'),
            eb.val(false).as('typing'),
            eb.val(r.node).as('node'),
            sql<Date>`now()`.as('joined_at'),
            sql<Date>`now()`.as('seen_at'),
          ])
          .where('t.id', '=', id),
      )
      .onConflict((oc) => oc.columns(['socket_id', 'ticket_id']).doUpdateSet({ seen_at: sql`now()` }))
      .returning('id')
      .executeTakeFirst();
    return !!row;
  },
  async list(em, id, expired) {
    const rows = await db(em)
      .selectFrom('ticket_presence')
      .select((eb) => [
        'user_id',
        eb.fn.min('user_name').as('name'),
        eb.fn.agg<boolean>('bool_or', ['typing']).as('typing'),
        eb.fn.min('joined_at').as('since'),
      ])
      .where('ticket_id', '=', id)
      .where('seen_at', '>', expired)
      .groupBy('user_id')
      .orderBy((eb) => eb.fn.min('joined_at'))
      .orderBy('user_id')
      .execute();
    return rows.map((r) => ({ userId: Number(r.user_id), name: r.name, typing: r.typing, since: new Date(r.since).toISOString() }));
  },
  remove: async (em, socketId, id) =>
    ids(
      await db(em)
        .deleteFrom('ticket_presence')
        .where('socket_id', '=', socketId)
        .$if(id !== undefined, (d) => d.where('ticket_id', '=', id!))
        .returning('ticket_id as id')
        .execute(),
    ),
  refresh: async (em, node) => {
    await db(em)
      .updateTable('ticket_presence')
      .set({ seen_at: sql`now()` })
      .where('node', '=', node)
      .execute();
  },
  sweep: async (em, by) =>
    ids(
      await db(em)
        .deleteFrom('ticket_presence')
        .where((eb) => ('node' in by ? eb('node', '=', by.node) : eb('seen_at', '<', by.expired)))
        .returning('ticket_id as id')
        .execute(),
    ),
};

// The subject's id names the room and the NOTIFY payload.
const SPACES = { designer: DESIGNER, ticket: TICKET } as const;
type SpaceName = keyof typeof SPACES;
const room = (space: SpaceName, id: number) => `${space}:${id}`;
const ROOM = /^(designer|ticket):(\d+)$/;
const DefinitionRef = z.strictObject({ definitionId: Id });
const TicketRef = z.strictObject({ ticketId: Id });
const Typing = z.strictObject({ ticketId: Id, typing: z.boolean() });
const REFS = { designer: DefinitionRef, ticket: TicketRef } as const;

export function attachPresence(io: Server, orm: MikroORM, opts: PresenceOptions = {}) {
  const node = crypto.randomUUID();
  const heartbeatMs = opts.heartbeatMs ?? 10_000;
  const ttlSeconds = Math.max(1, (opts.ttlMs ?? 30_000) / 1000);
  const em = () => orm.em.fork();
  const notify = (space: SpaceName, subjects: Iterable<number>) =>
    Promise.all([...new Set(subjects)].map((id) => em().execute(`select pg_notify('${PRESENCE_CHANNEL}', ?)`, [room(space, id)])));
  /** Rows last seen before the time-to-live. */
  const expired = () => sql<Date>`now() - ${ttlSeconds} * interval '1 second'`;
  let closed = false;

  // Several notifications for one subject in a burst make one read.
  const pending = new Set<string>();
  const broadcast = (space: SpaceName, id: number) => {
    const name = room(space, id);
    if (pending.has(name)) return;
    pending.add(name);
    setImmediate(() => {
      pending.delete(name);
      if (closed || !io.sockets.adapter.rooms.get(name)?.size) return;
      const s = SPACES[space];
      s.list(em(), id, expired())
        .then((people) =>
          io.to(name).emit(`${space}:presence`, space === 'designer' ? { definitionId: id, editors: people } : { ticketId: id, viewers: people }),
        )
        .catch((e: Error) => console.error('[presence] broadcast failed:', e.message));
    });
  };

  const leave = async (socket: Socket, space?: SpaceName, id?: number) => {
    if (closed) return; // close() removed every row of this process
    for (const name of space ? [space] : (Object.keys(SPACES) as SpaceName[])) await notify(name, await SPACES[name].remove(em(), socket.id, id));
  };

  const onConnection = (socket: Socket) => {
    const user = socket.data.user as CurrentUser;
    for (const name of Object.keys(SPACES) as SpaceName[]) {
      const s = SPACES[name] as Space<unknown>;
      onEvent(socket, `${name}:join`, REFS[name], async (ref: Record<string, number>) => {
        const id = ref[s.field];
        if (!can(user.role, s.permission)) return { error: 'forbidden' };
        if (!(await s.join(em(), id, { socketId: socket.id, user, node }))) return { error: 'not_found' };
        if (!socket.connected) {
          await leave(socket, name, id);
          return undefined;
        } // left while we wrote
        await socket.join(room(name, id));
        await notify(name, [id]);
        const people = await s.list(em(), id, expired());
        return name === 'designer' ? { editors: people } : { viewers: people };
      });
      onEvent(socket, `${name}:leave`, REFS[name], async (ref: Record<string, number>) => {
        await socket.leave(room(name, ref[s.field]));
        await leave(socket, name, ref[s.field]);
      });
    }
    // Typing on a ticket (the reply box has text): the others see it, and a reply crossing theirs is less likely.
    onEvent(socket, 'ticket:typing', Typing, async ({ ticketId, typing }) => {
      if (!can(user.role, 'service.manage')) return { error: 'forbidden' };
      const r = await db(em())
        .updateTable('ticket_presence')
        .set({ typing, seen_at: sql`now()` })
        .where('socket_id', '=', socket.id)
        .where('ticket_id', '=', ticketId)
        .where('typing', '!=', typing)
        .returning('id')
        .execute();
      if (r.length) await notify('ticket', [ticketId]);
      return { ok: true };
    });
    socket.on('disconnect', () => {
      void leave(socket).catch((e: Error) => console.error('[presence] leave failed:', e.message));
    });
  };
  io.on('connection', onConnection);

  // Heartbeat: keep our rows fresh, and sweep the rows of processes that stopped refreshing theirs.
  const beat = async () => {
    for (const name of Object.keys(SPACES) as SpaceName[]) {
      await SPACES[name].refresh(em(), node);
      await notify(name, await SPACES[name].sweep(em(), { expired: expired() }));
    }
  };
  const timer = setInterval(() => void beat().catch((e: Error) => console.error('[presence] heartbeat failed:', e.message)), heartbeatMs);
  timer.unref();

  return {
    node,
    /** A NOTIFY on PRESENCE_CHANNEL arrived (from any process): `<space>:<id>`. */
    onNotify(payload: string | undefined) {
      const m = ROOM.exec(payload ?? '');
      if (m) broadcast(m[1] as SpaceName, Number(m[2]));
    },
    /** After the LISTEN connection was lost: notifications may have been missed, so send every room anew. */
    refreshAll() {
      for (const name of io.sockets.adapter.rooms.keys()) {
        const m = ROOM.exec(name);
        if (m) broadcast(m[1] as SpaceName, Number(m[2]));
      }
    },
    /** This process's pages are gone: say so before the connections close. */
    async close() {
      closed = true;
      clearInterval(timer);
      for (const name of Object.keys(SPACES) as SpaceName[]) {
        const gone = await SPACES[name].sweep(em(), { node }).catch(() => []);
        await notify(name, gone).catch(() => {});
      }
    },
  };
}
