// Ticket assignment against the real database: round robin within the team up to each agent's
// capacity, skills by language, re-offers when an agent frees up, comes back or goes away, manual
// assignment and taking, and concurrent automatic assignment never filling an agent beyond capacity.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { assignTicket, autoAssign, reofferWaiting, setAvailability, takeTicket } from '../../app/modules/service/assignment.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { signIn } from '../support/http.ts';
import { clearDemoDesk } from '../support/domain.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'tester' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
let seq = 0;

beforeAll(async () => {
  db = await createTestDatabase('assign');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  // These tests set up their own desk (teams, calendars, policies), so the demo's goes.
  await clearDemoDesk(db);
});
afterAll(async () => {
  await db?.drop();
});

/** A team with agents (new users, role agent): skills and capacity per agent. */
async function team(agents: { skills: string[]; capacity: number }[]): Promise<{ teamId: number; users: number[] }> {
  const name = `Team ${++seq}`;
  const [t] = await sql<{ id: number }>(`insert into team (name, created_at) values (?, now()) returning id`, [name]);
  const users: number[] = [];
  for (const [i, a] of agents.entries()) {
    const [u] = await sql<{ id: number }>(
      `insert into app_user (email, name, role, locale, password_hash, active, created_at) values (?, ?, 'agent', 'en', 'x', true, now()) returning id`,
      [`agent${seq}-${i}@test.local`, `Agent ${seq}.${i}`],
    );
    await sql(`insert into agent_profile (user_id, team_id, skills, capacity, available) values (?, ?, ?::text[], ?, true)`, [
      u.id,
      t.id,
      `{${a.skills.join(',')}}`,
      a.capacity,
    ]);
    users.push(u.id);
  }
  return { teamId: t.id, users };
}

async function newTicket(teamId: number, language = 'en', status = 'new'): Promise<number> {
  const [row] = await sql<{ id: number }>(
    `insert into ticket (subject, status, channel, language, team_id, token, created_at, updated_at) values ('Help', ?, 'email', ?, ?, ?, clock_timestamp(), clock_timestamp()) returning id`,
    [status, language, teamId, crypto.randomBytes(16).toString('hex')],
  );
  return row.id;
}

const tx = <T>(fn: Parameters<typeof db.orm.em.transactional<T>>[0]) => db.orm.em.fork().transactional(fn);
const auto = (id: number) => tx(async (em) => (await autoAssign(em, id, actor)).assigneeId);
const assignee = async (id: number) => (await sql<{ assignee_id: number | null }>(`select assignee_id from ticket where id = ?`, [id]))[0].assignee_id;
const openCount = async (userId: number) =>
  Number((await sql<{ n: string }>(`select count(*) as n from ticket where assignee_id = ? and status in ('new','open','pending','on_hold')`, [userId]))[0].n);

describe('assignment', () => {
  it('goes round robin within the team and stops at capacity', async () => {
    const { teamId, users } = await team([
      { skills: [], capacity: 2 },
      { skills: [], capacity: 1 },
    ]);
    const got: (number | null)[] = [];
    for (let i = 0; i < 4; i++) got.push(await auto(await newTicket(teamId)));
    // a, b, a (b is full), then nobody has room.
    expect(got).toEqual([users[0], users[1], users[0], null]);
    const audits = await sql<{ after: { assigneeId: number; how: string } }>(
      `select after from audit_event where action = 'ticket.assigned' and (after->>'assigneeId')::int in (${users.join(',')}) order by id`,
    );
    expect(audits.map((a) => a.after.how)).toEqual(['auto', 'auto', 'auto']);
    const published = await sql<{ n: string }>(
      `select count(*) as n from outbox_event where topic = 'service' and type = 'ticket.assigned' and (payload->>'assigneeId')::int in (${users.join(',')})`,
    );
    expect(Number(published[0].n)).toBe(3);
  });

  it('gives a ticket in a language only to agents who speak it, when the team has any', async () => {
    const { teamId, users } = await team([
      { skills: ['en'], capacity: 5 },
      { skills: ['zh-CN', 'en'], capacity: 5 },
      { skills: ['en'], capacity: 5 },
    ]);
    expect(await auto(await newTicket(teamId, 'zh-CN'))).toBe(users[1]);
    expect(await auto(await newTicket(teamId, 'zh-CN'))).toBe(users[1]);
    // Nobody speaks zh-TW: anyone of the team, by round robin (the two who had none yet first).
    expect(await auto(await newTicket(teamId, 'zh-TW'))).toBe(users[0]);
    expect(await auto(await newTicket(teamId, 'zh-TW'))).toBe(users[2]);
  });

  it('re-offers waiting tickets when an agent frees up or comes back', async () => {
    const { teamId, users } = await team([{ skills: [], capacity: 1 }]);
    const first = await newTicket(teamId);
    const second = await newTicket(teamId);
    const third = await newTicket(teamId);
    expect(await auto(first)).toBe(users[0]);
    expect(await auto(second)).toBeNull();
    expect(await auto(third)).toBeNull();
    // Solving the first frees room: the oldest waiting ticket goes.
    await sql(`update ticket set status = 'solved' where id = ?`, [first]);
    const r = await tx((em) => reofferWaiting(em, teamId, actor));
    expect(r.assigned).toEqual([{ ticketId: second, assigneeId: users[0] }]);
    expect(await assignee(third)).toBeNull();
    // Away: the unanswered second goes back to the team (nobody else to take it), and waits with the third.
    const away = await tx((em) => setAvailability(em, users[0], false, actor));
    expect(away.reassigned).toEqual([{ ticketId: second, assigneeId: null }]);
    expect(await assignee(second)).toBeNull();
    // Back with more room: both waiting tickets are offered on return, oldest first.
    await sql(`update agent_profile set capacity = 3 where user_id = ?`, [users[0]]);
    const back = await tx((em) => setAvailability(em, users[0], true, actor));
    expect(back.reassigned).toEqual([
      { ticketId: second, assigneeId: users[0] },
      { ticketId: third, assigneeId: users[0] },
    ]);
    expect(
      await sql(`select before, after from audit_event where action = 'agent.availability_changed' and entity_id = ? order by id`, [String(users[0])]),
    ).toEqual([
      { before: { available: true }, after: { available: false } },
      { before: { available: false }, after: { available: true } },
    ]);
  });

  it('offers an away agent’s unanswered tickets to the others, keeping the ones in progress', async () => {
    const { teamId, users } = await team([
      { skills: [], capacity: 5 },
      { skills: [], capacity: 5 },
    ]);
    const fresh = await newTicket(teamId);
    const working = await newTicket(teamId, 'en', 'open');
    await tx((em) => assignTicket(em, fresh, users[0], actor));
    await tx((em) => assignTicket(em, working, users[0], actor));
    const r = await tx((em) => setAvailability(em, users[0], false, actor));
    expect(r.reassigned).toEqual([{ ticketId: fresh, assigneeId: users[1] }]);
    expect(await assignee(working)).toBe(users[0]);
    // Away agents get nothing new.
    expect(await auto(await newTicket(teamId))).toBe(users[1]);
  });

  it('assigns by hand and lets an agent take a ticket, audited; refuses a user who cannot work tickets', async () => {
    const { teamId, users } = await team([{ skills: [], capacity: 1 }]);
    const id = await newTicket(teamId);
    expect(await tx((em) => assignTicket(em, id, users[0], actor))).toEqual({ assigneeId: users[0], changed: true });
    expect(await tx((em) => assignTicket(em, id, users[0], actor))).toEqual({ assigneeId: users[0], changed: false });
    const [other] = await sql<{ id: number; email: string }>(`select id, email from app_user where role = 'ops_manager' limit 1`);
    expect(await tx((em) => takeTicket(em, id, other))).toEqual({ assigneeId: other.id, changed: true });
    const [wh] = await sql<{ id: number }>(`select id from app_user where role = 'warehouse' limit 1`);
    const e = await tx((em) => assignTicket(em, id, wh.id, actor)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).errors?.[0]).toMatchObject({ field: 'assignee', messageKey: 'sla.errors.assigneeInvalid' });
    expect(await assignee(id)).toBe(other.id);
    expect(await tx((em) => assignTicket(em, id, null, actor))).toEqual({ assigneeId: null, changed: true });
    const trail = await sql<{ action: string; after: { how: string } }>(
      `select action, after from audit_event where entity_type = 'Ticket' and entity_id = ? order by id`,
      [String(id)],
    );
    expect(trail.map((a) => `${a.action}:${a.after.how}`)).toEqual(['ticket.assigned:manual', 'ticket.assigned:take', 'ticket.unassigned:manual']);
  });

  it('never fills an agent beyond capacity when tickets are assigned at once', async () => {
    const { teamId, users } = await team([
      { skills: [], capacity: 3 },
      { skills: [], capacity: 2 },
    ]);
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push(await newTicket(teamId));
    const got = await Promise.all(ids.map((id) => auto(id)));
    expect(got.filter((x) => x !== null).length).toBe(5);
    expect(await openCount(users[0])).toBe(3);
    expect(await openCount(users[1])).toBe(2);
  });
});

describe('service settings over HTTP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ worker: false });
    await clearDemoDesk(app.db);
  });
  afterAll(async () => {
    await app?.stop();
  });
  const q = <T = Record<string, unknown>>(s: string, p: unknown[] = []) => app.db.orm.em.getConnection().execute<T[]>(s, p);
  const snapshot = async () =>
    JSON.stringify(
      await q(`select (select json_agg(t order by id) from team t) as t, (select json_agg(c order by id) from business_calendar c) as c,
        (select json_agg(p order by id) from sla_policy p) as p, (select json_agg(a order by user_id) from agent_profile a) as a, (select count(*) from audit_event) as audits`),
    );

  it('saves a calendar, a team, a policy and an agent, audited, as an ops manager', async () => {
    const ops = await signIn(app, 'ops_manager');
    const cal = await ops.post('/settings/calendars', {
      name: 'London office',
      timeZone: 'Europe/London',
      'hours.1': '09:00-12:00, 13:00-17:30',
      'hours.2': '09:00-17:30',
      holidays: '2026-12-25\n2026-12-28',
    });
    expect(cal.status).toBe(302);
    const [c] = await q<{ id: number; hours: unknown; holidays: string[] }>(`select id, hours, holidays from business_calendar where name = 'London office'`);
    expect(cal.headers.get('Location')).toBe(`/settings/calendars?code=${c.id}&done=created`);
    expect(c.hours).toEqual([
      { day: 1, from: 540, to: 720 },
      { day: 1, from: 780, to: 1050 },
      { day: 2, from: 540, to: 1050 },
    ]);
    expect(c.holidays).toEqual(['2026-12-25', '2026-12-28']);
    const [lead] = await q<{ id: number }>(`select id from app_user where role = 'agent' limit 1`);
    expect((await ops.post('/settings/teams', { name: 'UK desk', email: 'UK@shop.test', calendar: String(c.id), lead: String(lead.id) })).status).toBe(302);
    const [team] = await q<{ id: number; email: string; calendar_id: number }>(`select id, email, calendar_id from team where name = 'UK desk'`);
    expect([team.email, team.calendar_id]).toEqual(['uk@shop.test', c.id]);
    const policy = {
      name: 'Urgent',
      priority: 'urgent',
      channel: '',
      tier: 'vip',
      firstResponseMinutes: '15',
      nextResponseMinutes: '30',
      resolutionMinutes: '240',
      warnBeforeMinutes: '5',
      active: 'on',
    };
    expect((await ops.post('/settings/sla', policy)).status).toBe(302);
    expect(await q(`select priority, channel, tier, first_response_minutes from sla_policy where name = 'Urgent'`)).toEqual([
      { priority: 'urgent', channel: null, tier: 'vip', first_response_minutes: 15 },
    ]);
    const agent = await ops.post('/settings/agents', [
      ['user', String(lead.id)],
      ['team', String(team.id)],
      ['skills', 'en'],
      ['skills', 'zh-CN'],
      ['capacity', '4'],
      ['active', 'on'],
    ]);
    expect(agent.status).toBe(302);
    expect(await q(`select team_id, skills, capacity, available from agent_profile where user_id = ?`, [lead.id])).toEqual([
      { team_id: team.id, skills: ['en', 'zh-CN'], capacity: 4, available: true },
    ]);
    const actions = (
      await q<{ action: string }>(
        `select action from audit_event where action in ('business_calendar.created', 'team.created', 'sla_policy.created', 'agent.created') order by id`,
      )
    ).map((a) => a.action);
    expect(actions).toEqual(['business_calendar.created', 'team.created', 'sla_policy.created', 'agent.created']);
    // The page shows it back.
    expect(await (await ops.get(`/settings/teams?code=${team.id}`)).text()).toContain('UK desk');
  });

  it('refuses bad input with 422 and the field’s sentence, and writes nothing (never a 500)', async () => {
    const admin = await signIn(app, 'admin');
    const before = await snapshot();
    const cases: [string, Record<string, string>, string, string][] = [
      ['/settings/calendars', { name: 'Mars', timeZone: 'Mars/Olympus', 'hours.1': '09:00-17:00' }, 'timeZone', 'Mars/Olympus'],
      ['/settings/calendars', { name: 'Bad hours', timeZone: 'UTC', 'hours.1': '18:00-09:00' }, 'hours.1', 'end after it starts'],
      ['/settings/calendars', { name: 'Overlap', timeZone: 'UTC', 'hours.3': '09:00-12:00, 11:00-13:00' }, 'hours.3', 'overlap'],
      ['/settings/calendars', { name: 'Bad day', timeZone: 'UTC', holidays: '2026-02-30' }, 'holidays', '2026-02-30'],
      ['/settings/teams', { name: '', email: 'not-mail' }, 'name', 'Enter a name'],
      ['/settings/teams', { name: 'X', calendar: '999999' }, 'calendar', 'Choose a calendar'],
      ['/settings/teams', { name: 'UK desk' }, 'name', 'already in use'],
      [
        '/settings/sla',
        { name: 'Neg', firstResponseMinutes: '-5', nextResponseMinutes: '1', resolutionMinutes: '1', warnBeforeMinutes: '0' },
        'firstResponseMinutes',
        'whole minutes',
      ],
      [
        '/settings/sla',
        { name: 'P', priority: 'asap', firstResponseMinutes: '5', nextResponseMinutes: '1', resolutionMinutes: '1', warnBeforeMinutes: '0' },
        'priority',
        'priority',
      ],
      ['/settings/agents', { user: '999999', capacity: '3' }, 'user', 'Choose a user'],
      ['/settings/agents', { agent: 'abc', capacity: 'lots' }, 'user', 'Choose a user'],
    ];
    for (const [path, form, field, sentence] of cases) {
      const res = await admin.post(path, form);
      const html = (await res.text()).replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'");
      expect(res.status, `${path} ${field}`).toBe(422);
      expect(html, `${path} ${field}`).toContain(sentence);
    }
    // Garbled posts: NUL, lone surrogates, absurd numbers.
    for (const path of ['/settings/teams', '/settings/calendars', '/settings/sla', '/settings/agents']) {
      const res = await admin.post(path, {
        name: 'a\u0000b',
        timeZone: '\uD800',
        capacity: '1e309',
        'hours.1': '99:99-100:00',
        team: '-1',
        calendar: '1'.repeat(40),
      });
      expect(res.status, path).toBeLessThan(500);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
    }
    expect((await admin.get('/settings/sla?code=abc')).status).toBe(404);
    expect(await snapshot()).toBe(before);
  });

  it('lets only admins and ops managers see or change the service settings', async () => {
    // Signed in first: a sign-in is audited.
    const browsers = await Promise.all(['agent', 'warehouse', 'executive'].map(async (role) => [role, await signIn(app, role)] as const));
    const before = await snapshot();
    for (const [role, b] of browsers) {
      for (const path of ['/settings/teams', '/settings/agents', '/settings/sla', '/settings/calendars']) {
        expect((await b.get(path)).status, `${role} GET ${path}`).toBe(403);
        expect((await b.post(path, { name: 'Sneaky', timeZone: 'UTC' })).status, `${role} POST ${path}`).toBe(403);
      }
    }
    expect(await snapshot()).toBe(before);
    const admin = await signIn(app, 'admin');
    const html = await (await admin.get('/settings')).text();
    for (const s of ['teams', 'agents', 'sla', 'calendars']) expect(html).toContain(`data-testid="settings-${s}"`);
  });
});
