// What agents read: the queue (views, filters, search, sort, keyset pages), one ticket with its
// conversation and timeline, and the customer 360 beside it. Reads only.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type Expression, type SqlBool } from 'kysely';
import { db } from '../../lib/db.server.ts';
import { defaultBaseCurrency, getCustomer } from '../customers/queries.server.ts';
import { OPEN_STATUSES } from './tickets.server.ts';
import { searchTokens } from './text.ts';

import { defaultSort, QUEUE_VIEWS, type QueueSort, type QueueView } from './queue.ts';
import { QueueFilters } from './queue-filters.ts';

export { QueueFilters };

/** Due soon: a target falls due within this many minutes. */
export const DUE_SOON_MINUTES = 60;
export const PAGE_SIZE = 25;

/** Query-string filters; anything unreadable is dropped rather than refused (a shared link keeps working). */
export function parseQueueFilters(params: URLSearchParams): QueueFilters {
  const raw = Object.fromEntries([...params.keys()].map((k) => [k, params.get(k) ?? undefined]));
  const r = QueueFilters.safeParse(raw);
  if (r.success) return r.data;
  const bad = new Set(r.error.issues.map((i) => String(i.path[0])));
  return QueueFilters.parse(Object.fromEntries(Object.entries(raw).filter(([k]) => !bad.has(k))));
}

export interface QueueRow {
  id: number;
  number: string;
  subject: string;
  status: string;
  priority: string;
  channel: string;
  language: string;
  requester: string | null;
  customerName: string | null;
  orderNumber: string | null;
  orderStatus: string | null;
  assigneeName: string | null;
  teamName: string | null;
  tags: string[];
  updatedAt: string;
  createdAt: string;
  /** The earliest running SLA target, and whether it has passed. */
  dueAt: string | null;
  paused: boolean;
  messageCount: number;
}

export interface QueuePage {
  rows: QueueRow[];
  nextCursor: string | null;
  prevCursor: string | null;
  page: number;
}

const PRIORITY_RANK = sql<number>`case t.priority when 'urgent' then 4 when 'high' then 3 when 'normal' then 2 else 1 end`;
const DUE = sql<Date>`least(t.first_response_due_at, t.next_response_due_at, t.resolution_due_at)`;
/**
 * The earliest running target, 'infinity' when none runs: what the SLA views filter on and sort by. For
 * open tickets it is indexed (ticket_open_due_index), so "due soon", "breached" and "SLA due first" read
 * a range of that index instead of every open ticket.
 */
const DUE_KEY = sql<Date>`coalesce(least(t.first_response_due_at, t.next_response_due_at, t.resolution_due_at), 'infinity'::timestamptz)`;
const SORT_KEY = {
  updated: { expr: sql`t.updated_at`, dir: 'desc' },
  created: { expr: sql`t.created_at`, dir: 'desc' },
  due: { expr: DUE_KEY, dir: 'asc' },
  priority: { expr: PRIORITY_RANK, dir: 'desc' },
} as const;

type Cursor = { v: string | number; id: number };
const encode = (sort: QueueSort, c: Cursor) => Buffer.from(JSON.stringify([sort, c.v, c.id])).toString('base64url');
function decode(text: string | undefined, sort: QueueSort): Cursor | null {
  if (!text) return null;
  try {
    const [s, v, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (s !== sort || !(typeof v === 'string' || typeof v === 'number') || !Number.isInteger(id)) return null;
    return { v, id: id as number };
  } catch {
    return null;
  }
}

const OPEN = sql<SqlBool>`t.status in ('new', 'open', 'pending', 'on_hold')`;
/**
 * SLA at risk: an open ticket whose earliest running target falls due within its policy's warning time
 * (warn_before_minutes, counted here in clock minutes) or has passed. The first condition bounds the range of
 * ticket_open_due_index read (the longest warning time of any policy); the second is the ticket's own.
 */
export const AT_RISK_SQL = `t.status in ('new', 'open', 'pending', 'on_hold')
  and coalesce(least(t.first_response_due_at, t.next_response_due_at, t.resolution_due_at), 'infinity'::timestamptz)
      <= now() + make_interval(mins => coalesce((select max(warn_before_minutes) from sla_policy), 0))
  and coalesce(least(t.first_response_due_at, t.next_response_due_at, t.resolution_due_at), 'infinity'::timestamptz)
      <= now() + make_interval(mins => coalesce((select p.warn_before_minutes from sla_policy p where p.id = t.sla_policy_id), 0))`;
const AT_RISK = sql<SqlBool>`${sql.raw(AT_RISK_SQL)}`;
const missed = (target: 'first_response' | 'resolution') =>
  sql<SqlBool>`exists (select 1 from ticket_sla_event e where e.ticket_id = t.id and e.target = ${target} and e.kind = 'breach')`;

/** The tickets created (or first answered, or resolved) on the business days [from, to]. */
function datesWhere(f: QueueFilters, timeZone: string): Expression<SqlBool> | null {
  if (!f.from && !f.to) return null;
  const column = f.dates === 'responded' ? sql`t.first_responded_at` : f.dates === 'resolved' ? sql`coalesce(t.solved_at, t.closed_at)` : sql`t.created_at`;
  const parts: Expression<SqlBool>[] = [];
  if (f.dates === 'resolved') parts.push(sql<SqlBool>`t.status in ('solved', 'closed')`);
  if (f.from) parts.push(sql<SqlBool>`${column} >= (${f.from}::date)::timestamp at time zone ${timeZone}`);
  if (f.to) parts.push(sql<SqlBool>`${column} < (${f.to}::date + 1)::timestamp at time zone ${timeZone}`);
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

/** The conditions of a view for this agent. */
function viewWhere(view: QueueView, userId: number): Expression<SqlBool> {
  const open = sql<SqlBool>`t.status in ('new', 'open', 'pending', 'on_hold')`;
  switch (view) {
    case 'mine':
      return sql<SqlBool>`${open} and t.assignee_id = ${userId}`;
    case 'unassigned':
      return sql<SqlBool>`t.status in ('new', 'open') and t.assignee_id is null`;
    case 'team':
      return sql<SqlBool>`${open} and t.team_id = (select team_id from agent_profile where user_id = ${userId})`;
    case 'due_soon':
      return sql<SqlBool>`${open} and ${DUE_KEY} > now() and ${DUE_KEY} <= now() + ${sql.lit(`${DUE_SOON_MINUTES} minutes`)}::interval`;
    case 'breached':
      return sql<SqlBool>`${open} and ${DUE_KEY} <= now()`;
    case 'waiting':
      return sql<SqlBool>`t.status = 'pending'`;
    default:
      return sql<SqlBool>`t.status <> 'merged'`;
  }
}

/** One page of the queue: a view for this agent, narrowed by the filters, in the chosen order, seeking from a cursor. */
export async function listTickets(
  em: EntityManager,
  userId: number,
  filters: QueueFilters,
  timeZone: string = process.env.BUSINESS_TIME_ZONE || 'UTC',
): Promise<QueuePage> {
  const f = { ...filters, sort: filters.sort ?? defaultSort(filters.view) };
  const key = SORT_KEY[f.sort];
  const after = decode(f.after, f.sort);
  const before = after ? null : decode(f.before, f.sort);
  const backwards = !!before;
  const dir = key.dir === 'desc' ? (backwards ? 'asc' : 'desc') : backwards ? 'desc' : 'asc';
  let q = db(em)
    .selectFrom('ticket as t')
    .leftJoin('customer as c', 'c.id', 't.customer_id')
    .leftJoin('sales_order as o', 'o.id', 't.order_id')
    .leftJoin('app_user as u', 'u.id', 't.assignee_id')
    .leftJoin('team as tm', 'tm.id', 't.team_id')
    .select([
      't.id',
      't.number',
      't.subject',
      't.status',
      't.priority',
      't.channel',
      't.language',
      't.requester_email',
      't.tags',
      't.updated_at',
      't.created_at',
      't.sla_paused_for',
      't.message_count',
      'c.name as customer_name',
      'o.number as order_number',
      'o.status as order_status',
      'u.name as assignee_name',
      'tm.name as team_name',
      DUE.as('due_at'),
      sql<string>`(${key.expr})::text`.as('sort_value'),
    ])
    .where(viewWhere(f.view, userId));
  if (f.status) q = q.where('t.status', '=', f.status);
  if (f.priority) q = q.where('t.priority', '=', f.priority);
  if (f.channel) q = q.where('t.channel', '=', f.channel);
  if (f.language) q = q.where('t.language', '=', f.language);
  if (f.team) q = q.where('t.team_id', '=', f.team);
  if (f.assignee) q = q.where('t.assignee_id', '=', f.assignee);
  if (f.tag) q = q.where(sql<SqlBool>`${f.tag.toLowerCase()} = any(t.tags)`);
  if (f.orderStatus) q = q.where('o.status', '=', f.orderStatus);
  if (f.state === 'open') q = q.where(OPEN);
  if (f.state === 'resolved') q = q.where(sql<SqlBool>`t.status in ('solved', 'closed')`);
  if (f.sla === 'at_risk') q = q.where(AT_RISK);
  if (f.sla === 'missed_first_response') q = q.where(missed('first_response'));
  if (f.sla === 'missed_resolution') q = q.where(missed('resolution'));
  const dates = datesWhere(f, timeZone);
  if (dates) q = q.where(dates);
  if (f.q) {
    const exact = f.q.trim();
    const tokens = searchTokens(exact, 20);
    q = q.where((eb) =>
      eb.or([
        eb('t.number', '=', exact.toUpperCase()),
        ...(tokens.length ? [sql<SqlBool>`to_tsvector('simple', t.search_text) @@ plainto_tsquery('simple', ${tokens.join(' ')})`] : []),
      ]),
    );
  }
  const seek = after ?? before;
  if (seek) {
    const cmp = dir === 'desc' ? sql.raw('<') : sql.raw('>');
    // Compared as the index holds the key, so the seek starts inside the index rather than filtering from its start.
    q = q.where(sql<SqlBool>`(${key.expr}, t.id) ${cmp} (${seek.v}::${sql.raw(f.sort === 'priority' ? 'int' : 'timestamptz')}, ${seek.id}::int)`);
  }
  const rows = await q
    .orderBy(sql`${key.expr}`, dir)
    .orderBy('t.id', dir)
    .limit(PAGE_SIZE + 1)
    .execute();
  const more = rows.length > PAGE_SIZE;
  const pageRows = rows.slice(0, PAGE_SIZE);
  if (backwards) pageRows.reverse();
  const page = Math.max(1, backwards ? f.page : seek ? f.page : 1);
  const toRow = (r: (typeof rows)[number]): QueueRow => ({
    id: Number(r.id),
    number: r.number,
    subject: r.subject,
    status: r.status,
    priority: r.priority,
    channel: r.channel,
    language: r.language,
    requester: r.requester_email,
    customerName: r.customer_name,
    orderNumber: r.order_number,
    orderStatus: r.order_status,
    assigneeName: r.assignee_name,
    teamName: r.team_name,
    tags: r.tags ?? [],
    updatedAt: new Date(r.updated_at).toISOString(),
    createdAt: new Date(r.created_at).toISOString(),
    dueAt: r.due_at ? new Date(r.due_at).toISOString() : null,
    paused: r.sla_paused_for != null,
    messageCount: Number(r.message_count),
  });
  const cursorOf = (r: (typeof rows)[number]) => encode(f.sort, { v: f.sort === 'priority' ? Number(r.sort_value) : r.sort_value, id: Number(r.id) });
  const first = backwards ? rows[Math.min(rows.length, PAGE_SIZE) - 1] : pageRows[0];
  const last = backwards ? rows[0] : pageRows.at(-1);
  return {
    rows: pageRows.map(toRow),
    nextCursor: last && (backwards || more) ? cursorOf(last) : null,
    prevCursor: first && (backwards ? more : !!seek) ? cursorOf(first) : null,
    page,
  };
}

/** How many tickets each view holds for this agent (counted up to 1,000: "999+" is enough for a badge). */
export async function viewCounts(em: EntityManager, userId: number): Promise<Record<QueueView, number>> {
  const entries = await Promise.all(
    QUEUE_VIEWS.map(async (view) => {
      const [r] = await db(em)
        .selectFrom(
          db(em)
            .selectFrom('ticket as t')
            .select('t.id')
            .where(viewWhere(view, userId))
            .where(view === 'all' ? sql<SqlBool>`t.status in ('new', 'open', 'pending', 'on_hold')` : sql<SqlBool>`true`)
            .limit(1000)
            .as('x'),
        )
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .execute();
      return [view, Number(r.n)] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<QueueView, number>;
}

/** Teams, agents and tags for the queue's filters and the ticket's fields. */
export async function deskChoices(em: EntityManager) {
  const [teams, agents, tags] = await Promise.all([
    db(em).selectFrom('team').select(['id', 'name']).orderBy('name').execute(),
    db(em)
      .selectFrom('app_user')
      .select(['id', 'name', 'role'])
      .where('active', '=', true)
      .where('role', 'in', ['agent', 'ops_manager', 'admin'])
      .orderBy('name')
      .execute(),
    em.execute<{ tag: string }[]>(
      `select tag from (select unnest(tags) as tag from ticket where status <> 'merged' order by id desc limit 5000) x group by tag order by count(*) desc, tag limit 50`,
    ),
  ]);
  return {
    teams: teams.map((t) => ({ id: Number(t.id), name: t.name })),
    agents: agents.map((a) => ({ id: Number(a.id), name: a.name, role: a.role })),
    tags: tags.map((t) => t.tag),
  };
}

// ---- One ticket ----

export interface MessageView {
  id: number;
  kind: 'customer' | 'reply' | 'note';
  authorName: string | null;
  fromEmail: string | null;
  subject: string | null;
  body: string;
  source: string;
  createdAt: string;
  notificationStatus: string | null;
  attachments: { id: number; filename: string; size: number; contentType: string }[];
}

export interface TimelineEntry {
  at: string;
  action: string;
  actor: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** A ticket as its page shows it: fields, conversation, timeline, SLA, merge suggestions. Null when it does not exist. */
export async function getTicket(em: EntityManager, id: number) {
  const t = await db(em)
    .selectFrom('ticket as t')
    .leftJoin('sales_order as o', 'o.id', 't.order_id')
    .leftJoin('ticket as m', 'm.id', 't.merged_into_id')
    .leftJoin('sla_policy as p', 'p.id', 't.sla_policy_id')
    .selectAll('t')
    .select(['o.number as order_number', 'o.status as order_status', 'm.number as merged_into_number', 'p.name as sla_policy_name'])
    .where('t.id', '=', id)
    .executeTakeFirst();
  if (!t) return null;
  const [messages, attachments, events, slaEvents, suggestions] = await Promise.all([
    db(em)
      .selectFrom('ticket_message as m')
      .leftJoin('app_user as u', 'u.id', 'm.author_id')
      .leftJoin('notification as n', 'n.id', 'm.notification_id')
      .select([
        'm.id',
        'm.kind',
        'm.from_name',
        'm.from_email',
        'm.subject',
        'm.body',
        'm.source',
        'm.created_at',
        'u.name as author_name',
        'n.status as notification_status',
      ])
      .where('m.ticket_id', '=', id)
      .orderBy('m.id')
      .limit(500)
      .execute(),
    db(em)
      .selectFrom('ticket_attachment as a')
      .innerJoin('ticket_message as m', 'm.id', 'a.message_id')
      .select(['a.id', 'a.message_id', 'a.filename', 'a.size', 'a.content_type'])
      .where('m.ticket_id', '=', id)
      .orderBy('a.id')
      .execute(),
    db(em)
      .selectFrom('audit_event')
      .select(['at', 'action', 'actor_label', 'before', 'after'])
      .where('entity_type', '=', 'Ticket')
      .where('entity_id', '=', String(id))
      .orderBy('id', 'desc')
      .limit(100)
      .execute(),
    db(em).selectFrom('ticket_sla_event').select(['target', 'kind', 'due_at', 'fired_at']).where('ticket_id', '=', id).orderBy('id').execute(),
    // Merge suggestions: other open tickets of the same customer about the same order (or any, when neither names one).
    t.customer_id != null
      ? db(em)
          .selectFrom('ticket')
          .select(['id', 'number', 'subject', 'status', 'order_id'])
          .where('customer_id', '=', t.customer_id)
          .where('id', '!=', id)
          .where('status', 'in', [...OPEN_STATUSES])
          .where((eb) => (t.order_id != null ? eb('order_id', '=', t.order_id) : eb('order_id', 'is', null)))
          .orderBy('id', 'desc')
          .limit(5)
          .execute()
      : Promise.resolve([]),
  ]);
  const byMessage = new Map<number, MessageView['attachments']>();
  for (const a of attachments) {
    const list = byMessage.get(Number(a.message_id)) ?? [];
    list.push({ id: Number(a.id), filename: a.filename, size: Number(a.size), contentType: a.content_type });
    byMessage.set(Number(a.message_id), list);
  }
  const iso = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());
  return {
    id: Number(t.id),
    number: t.number,
    subject: t.subject,
    status: t.status,
    priority: t.priority,
    channel: t.channel,
    language: t.language,
    requesterEmail: t.requester_email,
    requesterName: t.requester_name,
    customerId: t.customer_id == null ? null : Number(t.customer_id),
    orderId: t.order_id == null ? null : Number(t.order_id),
    orderNumber: t.order_number,
    orderStatus: t.order_status,
    match: (t.match as Record<string, unknown> | null) ?? null,
    teamId: t.team_id == null ? null : Number(t.team_id),
    assigneeId: t.assignee_id == null ? null : Number(t.assignee_id),
    tags: t.tags ?? [],
    mergedInto: t.merged_into_id == null ? null : { id: Number(t.merged_into_id), number: t.merged_into_number },
    sla: {
      policy: t.sla_policy_name,
      firstResponseDueAt: iso(t.first_response_due_at),
      nextResponseDueAt: iso(t.next_response_due_at),
      resolutionDueAt: iso(t.resolution_due_at),
      pausedFor: t.sla_paused_for,
      firstRespondedAt: iso(t.first_responded_at),
      events: slaEvents.map((e) => ({ target: e.target, kind: e.kind, dueAt: iso(e.due_at)!, firedAt: iso(e.fired_at)! })),
    },
    createdAt: iso(t.created_at)!,
    updatedAt: iso(t.updated_at)!,
    solvedAt: iso(t.solved_at),
    messages: messages.map((m): MessageView => ({
      id: Number(m.id),
      kind: m.kind,
      authorName: m.author_name ?? m.from_name,
      fromEmail: m.from_email,
      subject: m.subject,
      body: m.body,
      source: m.source,
      createdAt: iso(m.created_at)!,
      notificationStatus: m.notification_status ?? null,
      attachments: byMessage.get(Number(m.id)) ?? [],
    })),
    timeline: events.map((e): TimelineEntry => ({
      at: iso(e.at)!,
      action: e.action,
      actor: e.actor_label,
      before: (e.before as Record<string, unknown> | null) ?? null,
      after: (e.after as Record<string, unknown> | null) ?? null,
    })),
    suggestions: suggestions.map((s) => ({ id: Number(s.id), number: s.number, subject: s.subject, status: s.status })),
  };
}
export type TicketDetail = NonNullable<Awaited<ReturnType<typeof getTicket>>>;

/**
 * The customer 360 beside a ticket: profile, tier, lifetime value, orders with status and tracking,
 * returns, payments and refunds, earlier tickets. Null when the ticket has no customer.
 */
export async function customer360(em: EntityManager, customerId: number) {
  const base = defaultBaseCurrency();
  const c = await getCustomer(em, customerId, { base, pageSize: 8 });
  if (!c) return null;
  const orderIds = c.history.rows.map((o) => o.id);
  const [shipments, returns, payments, tickets] = await Promise.all([
    orderIds.length
      ? db(em)
          .selectFrom('shipment as s')
          .innerJoin('carrier as ca', 'ca.id', 's.carrier_id')
          .select(['s.order_id', 's.tracking_number', 's.status', 'ca.name as carrier', 'ca.tracking_url_template'])
          .where('s.order_id', 'in', orderIds)
          .orderBy('s.id')
          .execute()
      : Promise.resolve([]),
    db(em)
      .selectFrom('return_request as r')
      .innerJoin('sales_order as o', 'o.id', 'r.order_id')
      .select(['r.id', 'r.number', 'r.status', 'r.reason', 'r.created_at', 'o.number as order_number', 'o.id as order_id'])
      .where('o.customer_id', '=', customerId)
      .orderBy('r.id', 'desc')
      .limit(5)
      .execute(),
    db(em)
      .selectFrom('payment as p')
      .innerJoin('sales_order as o', 'o.id', 'p.order_id')
      .select(['p.id', 'p.provider', 'p.status', 'p.currency', 'p.captured_minor', 'p.refunded_minor', 'o.number as order_number', 'o.id as order_id'])
      .where('o.customer_id', '=', customerId)
      .orderBy('p.id', 'desc')
      .limit(5)
      .execute(),
    db(em)
      .selectFrom('ticket')
      .select(['id', 'number', 'subject', 'status', 'created_at'])
      .where('customer_id', '=', customerId)
      .where('status', '!=', 'merged')
      .orderBy('id', 'desc')
      .limit(6)
      .execute(),
  ]);
  const tracking = (s: (typeof shipments)[number]) => ({
    carrier: s.carrier,
    number: s.tracking_number,
    status: s.status,
    url: s.tracking_url_template ? s.tracking_url_template.replace('{tracking}', encodeURIComponent(s.tracking_number)) : null,
  });
  return {
    id: c.id,
    name: c.name,
    email: c.email,
    phone: c.phone,
    locale: c.locale,
    tier: c.tier,
    tags: c.tags,
    since: c.createdAt,
    baseCurrency: c.baseCurrency,
    stats: c.stats,
    orders: c.history.rows.map((o) => ({ ...o, parcels: shipments.filter((s) => Number(s.order_id) === o.id).map(tracking) })),
    ordersTotal: c.history.total,
    returns: returns.map((r) => ({
      id: Number(r.id),
      number: r.number,
      status: r.status,
      reason: r.reason,
      orderNumber: r.order_number,
      orderId: Number(r.order_id),
      createdAt: new Date(r.created_at).toISOString(),
    })),
    payments: payments.map((p) => ({
      id: Number(p.id),
      provider: p.provider,
      status: p.status,
      currency: p.currency,
      captured: Number(p.captured_minor),
      refunded: Number(p.refunded_minor),
      orderNumber: p.order_number,
      orderId: Number(p.order_id),
    })),
    tickets: tickets.map((x) => ({
      id: Number(x.id),
      number: x.number,
      subject: x.subject,
      status: x.status,
      createdAt: new Date(x.created_at).toISOString(),
    })),
  };
}
export type Customer360 = NonNullable<Awaited<ReturnType<typeof customer360>>>;

/** An attachment's bytes for download. */
export async function attachment(em: EntityManager, id: number) {
  const a = await db(em)
    .selectFrom('ticket_attachment as a')
    .innerJoin('ticket_message as m', 'm.id', 'a.message_id')
    .select(['a.filename', 'a.size', 'a.content', 'm.ticket_id'])
    .where('a.id', '=', id)
    .executeTakeFirst();
  return a ? { filename: a.filename, size: Number(a.size), content: a.content as unknown as Buffer, ticketId: Number(a.ticket_id) } : null;
}
