// Service desk SLA watcher at scale: N open tickets whose first-response breaches fall due over a short
// window, fired by the real watcher (startSlaWatcher: 1 s poll + NOTIFY, batches of 500 claimed FOR UPDATE
// SKIP LOCKED through the partial index on sla_next_check_at), against a baseline measured in the same run
// on the same kind of data: the same firing code one ticket per transaction (batch 1) with the partial
// index dropped (a scan per claim). Lateness is ticket_sla_event.fired_at − due_at per breach.
//
// Exported for the `service` bench (bench/service.ts), which owns the database.
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { fireDueSla, startSlaWatcher } from '../app/modules/service/sla-watcher.server.ts';

export interface SlaBenchOptions {
  orm: MikroORM;
  url: string;
  tickets: number;
  /** Breaches fall due evenly over this window, starting a little after seeding. */
  windowMs: number;
  log: (line: string) => void;
}

export interface LatenessFigures {
  label: string;
  fired: number;
  p50: number;
  p95: number;
  max: number;
  /** Seconds from the first due time until the last breach was fired. */
  drainS: number;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;

/** N tickets in one team (with a lead, so every breach is mailed), first response due over the window. */
async function seed(db: pg.Client, n: number, startAt: number, windowMs: number, tag: string): Promise<void> {
  const { rows } = await db.query<{ id: number }>(
    `insert into team (name, lead_id, created_at) values ($1, (select id from app_user where role = 'agent' order by id limit 1), now())
     on conflict (name) do update set name = excluded.name returning id`,
    [`Bench ${tag}`],
  );
  await db.query(
    `insert into ticket (subject, status, priority, channel, team_id, token, created_at, updated_at, first_response_due_at, sla_clock, sla_next_check_at)
     select 'Bench ' || $1 || ' ' || g, 'new', 'normal', 'email', $2, md5($1 || g::text), now(), now(), d.due,
            jsonb_build_object('targets', jsonb_build_object('first_response', jsonb_build_object(
              'usedMs', 0, 'since', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'dueAt', to_char(d.due at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'warnAt', null, 'warned', true, 'breached', false))),
            d.due
       from generate_series(1, $3::int) g,
            lateral (select to_timestamp(($4::bigint + (g - 1) * $5::float8) / 1000.0) as due) d`,
    [tag, rows[0].id, n, startAt, windowMs / n],
  );
}

async function measure(db: pg.Client, tag: string, label: string, startAt: number): Promise<LatenessFigures> {
  const { rows } = await db.query<{ ms: number; fired: Date }>(
    `select extract(epoch from (e.fired_at - e.due_at)) * 1000 as ms, e.fired_at as fired
       from ticket_sla_event e join ticket t on t.id = e.ticket_id
      where t.subject like $1 and e.kind = 'breach'`,
    [`Bench ${tag} %`],
  );
  const lateness = rows.map((r) => Number(r.ms));
  const last = Math.max(...rows.map((r) => new Date(r.fired).getTime()));
  return { label, fired: rows.length, p50: pct(lateness, 50), p95: pct(lateness, 95), max: Math.max(...lateness), drainS: (last - startAt) / 1000 };
}

async function waitFired(db: pg.Client, tag: string, n: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ n: string }>(
      `select count(*) as n from ticket_sla_event e join ticket t on t.id = e.ticket_id where t.subject like $1 and e.kind = 'breach'`,
      [`Bench ${tag} %`],
    );
    if (Number(rows[0].n) >= n || Date.now() > until) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs the baseline, then the real watcher; returns both figures. */
export async function benchServiceSla(o: SlaBenchOptions): Promise<LatenessFigures[]> {
  const db = new pg.Client({ connectionString: o.url });
  await db.connect();
  const quiet = { info: () => {}, warn: (...a: unknown[]) => o.log(`watcher: ${a.join(' ')}`) };
  const timeout = o.windowMs + 10 * 60_000;
  try {
    // Baseline: one ticket per transaction, no partial index (each claim scans the ticket table).
    await db.query(`drop index if exists ticket_sla_next_check_index`);
    let startAt = Date.now() + 3_000;
    await seed(db, o.tickets, startAt, o.windowMs, 'baseline');
    await db.query('analyze ticket');
    o.log(`baseline: ${o.tickets} breaches due over ${o.windowMs / 1000} s, one per transaction, no partial index`);
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const r = await fireDueSla(o.orm, { batch: 1 });
        if (!r.claimed) await new Promise((res) => setTimeout(res, 1_000));
      }
    })();
    await waitFired(db, 'baseline', o.tickets, timeout);
    stop = true;
    await loop;
    const baseline = await measure(db, 'baseline', 'baseline (batch 1, no index)', startAt);

    // The real watcher, with its index back.
    await db.query(`create index if not exists ticket_sla_next_check_index on ticket (sla_next_check_at) where sla_next_check_at is not null`);
    startAt = Date.now() + 3_000;
    await seed(db, o.tickets, startAt, o.windowMs, 'watcher');
    await db.query('analyze ticket');
    o.log(`watcher: ${o.tickets} breaches due over ${o.windowMs / 1000} s, startSlaWatcher as the worker runs it`);
    const stopWatcher = startSlaWatcher({ orm: o.orm, databaseUrl: o.url, log: quiet });
    await waitFired(db, 'watcher', o.tickets, timeout);
    await stopWatcher();
    const real = await measure(db, 'watcher', 'startSlaWatcher (batch 500, partial index)', startAt);
    return [baseline, real];
  } finally {
    await db.end();
  }
}

export function printSlaFigures(figures: LatenessFigures[], log: (line: string) => void): void {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  log('SLA breach lateness (fired_at − due_at, ms):');
  const head = ['run', 'fired', 'p50', 'p95', 'max', 'drained (s after first due)'];
  const rows = figures.map((x) => [x.label, String(x.fired), f(x.p50), f(x.p95), f(x.max), x.drainS.toFixed(1)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  log(line(head));
  for (const r of rows) log(line(r));
}
