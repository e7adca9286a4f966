// The service report (/analytics/service): tickets created and solved per day, first response and
// resolution times (p50 / p90 and their distribution), SLA met, CSAT, contact reasons (tags), tickets per
// 100 orders, and the figures by team, agent, channel and priority, over a range of business days and the
// period before it. Everything is read from the rollups (service_day, service_day_tag, sales_day), never by
// scanning tickets. Times are wall-clock (calendar time from the ticket's creation, nights and weekends
// included); SLA met is the policy's own verdict, which counts business hours.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { TICKET_CHANNELS, TICKET_PRIORITIES } from '../../../entities/constants.ts';
import { Id } from '../../lib/ids.ts';
import { addDays, daysBetween, ReportRange, resolveRange } from './range.ts';
import { emptySums, figuresOf, type ServiceFigures, type ServiceSums } from './service-figures.ts';
import { FRT_COLUMNS, RES_COLUMNS, SERVICE_COUNTS, SERVICE_FIGURES } from './service-rollups.server.ts';

export const ServiceReportQuery = ReportRange.extend({
  channel: z.enum(TICKET_CHANNELS).optional().catch(undefined),
  team: Id.optional().catch(undefined),
  priority: z.enum(TICKET_PRIORITIES).optional().catch(undefined),
});
export type ServiceReportQuery = z.infer<typeof ServiceReportQuery>;
export type ServiceReportFilters = Pick<ServiceReportQuery, 'channel' | 'team' | 'priority'>;

export interface ServiceDayPoint {
  /** YYYY-MM-DD in the business's time zone. */
  day: string;
  created: number;
  solved: number;
}

export interface ServiceBreakdownRow extends ServiceFigures {
  /** The team's or agent's id, the channel or priority (0 / null: none). */
  key: string;
  name: string | null;
  teamId?: number;
}

export interface ServiceReport {
  from: string;
  to: string;
  series: ServiceDayPoint[];
  totals: ServiceFigures;
  /** Orders placed in the range (every channel: a ticket's channel is not an order's) and tickets created per 100 of them. */
  orders: number;
  perHundredOrders: number | null;
  previous: { from: string; to: string; series: ServiceDayPoint[]; totals: ServiceFigures; orders: number; perHundredOrders: number | null } | null;
  byTeam: ServiceBreakdownRow[];
  byAgent: ServiceBreakdownRow[];
  byChannel: ServiceBreakdownRow[];
  byPriority: ServiceBreakdownRow[];
  /** Tickets created per tag, most first ('' untagged), with the previous period's count. */
  reasons: { tag: string; tickets: number; previous: number | null }[];
}

type SumRow = Record<string, string | number | null>;

const SUMS = SERVICE_FIGURES.map((c) => `coalesce(sum(${c}), 0) as ${c}`).join(', ');
/** The sums without the histograms (breakdowns show means, not percentiles). */
const SMALL_SUMS = SERVICE_COUNTS.map((c) => `coalesce(sum(${c}), 0) as ${c}`).join(', ');

function sumsOf(r: SumRow | undefined): ServiceSums {
  const s = emptySums();
  if (!r) return s;
  const n = (k: string) => Number(r[k] ?? 0);
  s.created = n('created');
  s.solved = n('solved');
  s.responded = n('responded');
  s.frtSeconds = n('frt_seconds');
  s.resSeconds = n('res_seconds');
  s.frtSla = n('frt_sla');
  s.frtSlaMissed = n('frt_sla_missed');
  s.resSla = n('res_sla');
  s.resSlaMissed = n('res_sla_missed');
  s.csat = [1, 2, 3, 4, 5].map((i) => n(`csat${i}`));
  if (FRT_COLUMNS[0] in r) {
    s.frtHist = FRT_COLUMNS.map(n);
    s.resHist = RES_COLUMNS.map(n);
  }
  return s;
}

/** The rollup rows' filter (alias `s`). */
function where(f: ServiceReportFilters): { sql: string; params: unknown[] } {
  const w: string[] = [];
  const params: unknown[] = [];
  if (f.channel) {
    w.push('s.channel = ?');
    params.push(f.channel);
  }
  if (f.team) {
    w.push('s.team_id = ?');
    params.push(f.team);
  }
  if (f.priority) {
    w.push('s.priority = ?');
    params.push(f.priority);
  }
  return { sql: w.map((x) => ` and ${x}`).join(''), params };
}

/** Every figure of [from, to] (days, inclusive) in one group. */
export async function serviceTotals(em: EntityManager, from: string, to: string, f: ServiceReportFilters = {}): Promise<ServiceFigures> {
  const w = where(f);
  const [row] = await em.execute<SumRow[]>(`select ${SUMS} from service_day s where s.day >= ?::date and s.day <= ?::date${w.sql}`, [from, to, ...w.params]);
  return figuresOf(sumsOf(row));
}

/** Created and solved per day of [from, to], quiet days included. */
export async function serviceSeries(em: EntityManager, from: string, to: string, f: ServiceReportFilters = {}): Promise<ServiceDayPoint[]> {
  const w = where(f);
  const rows = await em.execute<{ day: string; created: string; solved: string }[]>(
    `select to_char(s.day, 'YYYY-MM-DD') as day, sum(s.created) as created, sum(s.solved) as solved
       from service_day s where s.day >= ?::date and s.day <= ?::date${w.sql} group by s.day`,
    [from, to, ...w.params],
  );
  const found = new Map(rows.map((r) => [r.day, r]));
  return Array.from({ length: daysBetween(from, to) + 1 }, (_, i) => {
    const day = addDays(from, i);
    const r = found.get(day);
    return { day, created: Number(r?.created ?? 0), solved: Number(r?.solved ?? 0) };
  });
}

/** The figures by team, by channel and by priority (one scan of service_day), and by agent within their team (service_agent_day); no histograms: means. */
export async function serviceBreakdowns(
  em: EntityManager,
  from: string,
  to: string,
  f: ServiceReportFilters = {},
): Promise<Pick<ServiceReport, 'byTeam' | 'byAgent' | 'byChannel' | 'byPriority'>> {
  const w = where(f);
  const [rows, agents] = await Promise.all([
    em.execute<(SumRow & { gt: number; gc: number; gp: number })[]>(
      `select grouping(s.team_id) as gt, grouping(s.channel) as gc, grouping(s.priority) as gp, s.team_id, s.channel, s.priority,
              case when grouping(s.team_id) = 0 then (select name from team where id = s.team_id) end as team_name,
              ${SMALL_SUMS}
         from service_day s where s.day >= ?::date and s.day <= ?::date${w.sql}
        group by grouping sets ((s.team_id), (s.channel), (s.priority))`,
      [from, to, ...w.params],
    ),
    em.execute<SumRow[]>(
      `select s.team_id, s.assignee_id, (select name from app_user where id = s.assignee_id) as agent_name, ${SMALL_SUMS}
         from service_agent_day s where s.day >= ?::date and s.day <= ?::date${w.sql}
        group by s.team_id, s.assignee_id`,
      [from, to, ...w.params],
    ),
  ]);
  const row = (r: SumRow, key: string, name: string | null, teamId?: number): ServiceBreakdownRow => ({
    key,
    name,
    ...(teamId === undefined ? {} : { teamId }),
    ...figuresOf(sumsOf(r)),
  });
  const busiest = (a: ServiceBreakdownRow, b: ServiceBreakdownRow) => b.created + b.solved - (a.created + a.solved) || a.key.localeCompare(b.key);
  return {
    byTeam: rows
      .filter((r) => Number(r.gt) === 0)
      .map((r) => row(r, String(r.team_id), (r.team_name as string | null) ?? null))
      .sort(busiest),
    byAgent: agents.map((r) => row(r, String(r.assignee_id), (r.agent_name as string | null) ?? null, Number(r.team_id))).sort(busiest),
    byChannel: rows
      .filter((r) => Number(r.gc) === 0)
      .map((r) => row(r, String(r.channel), null))
      .sort(busiest),
    byPriority: rows
      .filter((r) => Number(r.gp) === 0)
      .map((r) => row(r, String(r.priority), null))
      .sort(busiest),
  };
}

/**
 * Tickets created per tag in [from, to], most first, with the count in the period before (when compared); without
 * a filter from the tags' totals over channel, team and priority.
 */
export async function contactReasons(
  em: EntityManager,
  from: string,
  to: string,
  previous: { from: string; to: string } | null,
  f: ServiceReportFilters = {},
  limit = 20,
): Promise<ServiceReport['reasons']> {
  const w = where(f);
  const start = previous?.from ?? from;
  const rows = await em.execute<{ tag: string; cur: string; prev: string }[]>(
    `select s.tag, coalesce(sum(s.tickets) filter (where s.day >= ?::date), 0) as cur, coalesce(sum(s.tickets) filter (where s.day < ?::date), 0) as prev
       from ${w.sql ? 'service_day_tag' : 'service_day_tag_total'} s where s.day >= ?::date and s.day <= ?::date${w.sql}
      group by s.tag having coalesce(sum(s.tickets) filter (where s.day >= ?::date), 0) > 0
      order by 2 desc, 1 limit ?`,
    [from, from, start, to, ...w.params, from, limit],
  );
  return rows.map((r) => ({ tag: r.tag, tickets: Number(r.cur), previous: previous ? Number(r.prev) : null }));
}

/** Orders placed in [from, to] (the sales rollup, every channel). */
async function ordersBetween(em: EntityManager, from: string, to: string): Promise<number> {
  const [r] = await em.execute<{ n: string }[]>('select coalesce(sum(orders), 0) as n from sales_day where day >= ?::date and day <= ?::date', [from, to]);
  return Number(r.n);
}

const perHundred = (tickets: number, orders: number) => (orders ? Math.round((tickets / orders) * 10_000) / 100 : null);

/** The service report for the query's range, the period before it when compared, and every breakdown. */
export async function serviceReport(em: EntityManager, q: ServiceReportQuery, todayIso: string): Promise<ServiceReport> {
  const { from, to, previous } = resolveRange(q, todayIso);
  const f: ServiceReportFilters = { channel: q.channel, team: q.team, priority: q.priority };
  const [series, totals, breakdowns, reasons, orders, prev] = await Promise.all([
    serviceSeries(em, from, to, f),
    serviceTotals(em, from, to, f),
    serviceBreakdowns(em, from, to, f),
    contactReasons(em, from, to, previous, f),
    ordersBetween(em, from, to),
    previous
      ? Promise.all([
          serviceSeries(em, previous.from, previous.to, f),
          serviceTotals(em, previous.from, previous.to, f),
          ordersBetween(em, previous.from, previous.to),
        ])
      : Promise.resolve(null),
  ]);
  return {
    from,
    to,
    series,
    totals,
    orders,
    perHundredOrders: perHundred(totals.created, orders),
    previous:
      previous && prev ? { ...previous, series: prev[0], totals: prev[1], orders: prev[2], perHundredOrders: perHundred(prev[1].created, prev[2]) } : null,
    ...breakdowns,
    reasons,
  };
}
