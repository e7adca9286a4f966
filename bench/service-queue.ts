// The agents' queue page at scale: N tickets (a million by default: most solved or closed, the rest
// open, pending or on hold, across teams, agents, languages, with SLA due times and search text in
// English and Chinese), and the queue page's reads as its loader makes them (the page of tickets, the
// views' counts and the filter choices) for each view, a search in each language, a filtered view and
// a deep keyset page. Baseline, measured in the same run on the same rows: the same pages the naive way
// (OFFSET paging with an exact count, and a substring scan for search).
//
// Exported for the `service` bench (bench/service.ts), which owns the database.
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { deskChoices, listTickets, parseQueueFilters, viewCounts } from '../app/modules/service/queries.server.ts';

export interface QueueBenchOptions {
  orm: MikroORM;
  url: string;
  tickets: number;
  runs: number;
  log: (line: string) => void;
}

export interface QueueFigure {
  label: string;
  p50: number;
  p95: number;
  rows: number;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;

/** N tickets in one statement; what they say is drawn from a few phrases (tokenised as the desk does). */
async function seed(db: pg.Client, n: number): Promise<void> {
  await db.query(
    `
    insert into ticket (subject, status, priority, channel, language, requester_email, customer_id, order_id, team_id, assignee_id, tags, token,
                        first_response_due_at, resolution_due_at, sla_paused_for, first_responded_at, last_customer_message_at, message_count,
                        search_text, created_at, updated_at, solved_at)
    select s.subject, s.status, s.priority, s.channel, s.language, c.email, c.id, o.id, tm.id,
           case when s.status = 'new' and g % 3 = 0 then null else ag.id end,
           case when g % 7 = 0 then array['damaged'] when g % 11 = 0 then array['vip', 'refund'] else '{}'::text[] end,
           md5('bench' || g::text),
           case when s.status in ('new', 'open') and g % 5 <> 0 then s.created + interval '8 hours' end,
           case when s.status in ('new', 'open', 'on_hold') then s.created + interval '3 days' end,
           case when s.status in ('pending', 'on_hold') then 'customer' end,
           case when s.status not in ('new') then s.created + interval '2 hours' end,
           s.created, 2,
           s.search, s.created, s.created + (g % 97) * interval '1 minute',
           case when s.status in ('solved', 'closed') then s.created + interval '1 day' end
      from generate_series(1, $1::int) g
      cross join lateral (
        select now() - (($1::int - g) * (730.0 * 86400 / $1::int)) * interval '1 second' as created,
               (array['closed','closed','closed','solved','solved','solved','open','new','pending','on_hold'])[1 + g % 10] as status,
               (array['normal','normal','normal','low','high','urgent'])[1 + g % 6] as priority,
               (array['email','email','email','tracking_page','api','phone'])[1 + g % 6] as channel,
               (array['en','en','zh-CN','zh-TW'])[1 + g % 4] as language,
               (array['Where is my order?', '杯子碎了，要退款', '訂單還沒收到', 'Change delivery address', 'Invoice needed'])[1 + g % 5] as subject,
               (array['where is my order parcel tracking', '杯子 子碎 碎了 要退 退款', '訂單 單還 還沒 沒收 收到', 'change delivery address floor', 'invoice vat company'])[1 + g % 5]
                 || ' ' || g::text as search
      ) s
      cross join lateral (select id, email from customer where id = (select min(id) from customer) + (g % (select count(*) from customer))) c
      left join lateral (select id from sales_order where customer_id = c.id order by id limit 1) o on g % 4 <> 0
      cross join lateral (select id from team order by id offset g % 2 limit 1) tm
      cross join lateral (select id from app_user where role in ('agent', 'ops_manager', 'admin') order by id offset g % 3 limit 1) ag`,
    [n],
  );
  await db.query('analyze ticket');
}

async function time(runs: number, fn: () => Promise<number>): Promise<{ p50: number; p95: number; rows: number }> {
  let rows = 0;
  for (let i = 0; i < 3; i++) rows = await fn(); // warm
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    rows = await fn();
    xs.push(performance.now() - t);
  }
  return { p50: pct(xs, 50), p95: pct(xs, 95), rows };
}

export async function benchQueue(opts: QueueBenchOptions): Promise<{ desk: QueueFigure[]; naive: QueueFigure[] }> {
  const db = new pg.Client({ connectionString: opts.url });
  await db.connect();
  try {
    const [{ n: have }] = (await db.query<{ n: string }>('select count(*) as n from ticket')).rows;
    if (Number(have) < opts.tickets) {
      const t = performance.now();
      opts.log(`seeding ${(opts.tickets - Number(have)).toLocaleString('en')} tickets…`);
      await seed(db, opts.tickets - Number(have));
      opts.log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const [agent] = (await db.query<{ id: number }>(`select id from app_user where role = 'agent' order by id limit 1`)).rows;
    const me = Number(agent.id);
    const em = () => opts.orm.em.fork();

    /** The queue page's loader: the page, the views' counts and the filter choices, together. */
    const page = (query: Record<string, string>) => async () => {
      const [p] = await Promise.all([listTickets(em(), me, parseQueueFilters(new URLSearchParams(query))), viewCounts(em(), me), deskChoices(em())]);
      return p.rows.length;
    };
    /** The 40th page, reached by following the cursors as the Next link does. */
    let deepCursor = '';
    {
      let after: string | null = null;
      for (let i = 0; i < 39; i++) {
        const p = await listTickets(em(), me, parseQueueFilters(new URLSearchParams(after ? { after } : {})));
        after = p.nextCursor;
        if (!after) break;
      }
      deepCursor = after ?? '';
    }
    const cases: [string, () => Promise<number>][] = [
      ['all, last update', page({})],
      ['mine', page({ view: 'mine' })],
      ['unassigned', page({ view: 'unassigned' })],
      ['my team, SLA due first', page({ view: 'team', sort: 'due' })],
      ['SLA due soon', page({ view: 'due_soon' })],
      ['breached', page({ view: 'breached' })],
      ['waiting on customer', page({ view: 'waiting' })],
      ['open + high + zh-CN', page({ status: 'open', priority: 'high', language: 'zh-CN' })],
      ['search 退款', page({ q: '退款' })],
      ['search "parcel"', page({ q: 'parcel' })],
      ['page 40 (keyset)', async () => (await listTickets(em(), me, parseQueueFilters(new URLSearchParams({ after: deepCursor, page: '40' })))).rows.length],
    ];
    const desk: QueueFigure[] = [];
    for (const [label, fn] of cases) {
      desk.push({ label, ...(await time(opts.runs, fn)) });
      opts.log(`desk ${label}: p95 ${desk.at(-1)!.p95.toFixed(1)} ms`);
    }
    // Naive: OFFSET paging with an exact total, and a substring scan for search.
    const naiveSql =
      (where: string, offset = 0) =>
      async () => {
        const [rows] = await Promise.all([
          db.query(`select t.id, t.number, t.subject from ticket t where ${where} order by t.updated_at desc, t.id desc limit 25 offset ${offset}`),
          db.query(`select count(*) from ticket t where ${where}`),
        ]);
        return rows.rowCount ?? 0;
      };
    const naiveCases: [string, () => Promise<number>][] = [
      ['all, last update', naiveSql(`t.status <> 'merged'`)],
      ['search 退款', naiveSql(`t.status <> 'merged' and (t.subject like '%退款%' or t.search_text like '%退款%')`)],
      ['search "parcel"', naiveSql(`t.status <> 'merged' and (t.subject ilike '%parcel%' or t.search_text ilike '%parcel%')`)],
      ['page 40 (offset)', naiveSql(`t.status <> 'merged'`, 975)],
    ];
    const naive: QueueFigure[] = [];
    for (const [label, fn] of naiveCases) {
      naive.push({ label, ...(await time(Math.max(5, Math.round(opts.runs / 4)), fn)) });
      opts.log(`naive ${label}: p95 ${naive.at(-1)!.p95.toFixed(1)} ms`);
    }
    return { desk, naive };
  } finally {
    await db.end();
  }
}

export function printQueueFigures(r: { desk: QueueFigure[]; naive: QueueFigure[] }, tickets: number, print: (line: string) => void): void {
  print(`Queue page at ${tickets.toLocaleString('en')} tickets: page + view counts + filter choices (goal p95 ≤ 50 ms)`);
  print(`  ${'case'.padEnd(28)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'naive p95'.padStart(10)} ${'× faster'.padStart(9)}`);
  for (const d of r.desk) {
    const n = r.naive.find((x) => x.label === d.label || (d.label.startsWith('page 40') && x.label.startsWith('page 40')));
    print(
      `  ${d.label.padEnd(28)} ${d.p50.toFixed(1).padStart(8)} ${d.p95.toFixed(1).padStart(8)} ${(n ? n.p95.toFixed(1) : '—').padStart(10)} ${(n ? `${(n.p95 / d.p95).toFixed(1)}×` : '').padStart(9)}`,
    );
  }
  print(`  worst p95: ${Math.max(...r.desk.map((d) => d.p95)).toFixed(1)} ms`);
}
