// Reading orders: the list (filters, sort, search, paging) and one order with everything about it.
import type { EntityManager } from '@mikro-orm/postgresql';
import { NOT_SHIPPED } from '../analytics/dashboard.server.ts';
import { parseId } from '../../lib/ids.ts';
import { db } from '../../lib/db.server.ts';
import { isSaneDate } from '../../lib/boundary.ts';
import { OrderFilters, type OrderSort } from './filters.ts';
import { cancelKey, COUNTRY } from '../analytics/rollup-sql.ts';

export { OrderFilters, type OrderSort };

export function parseOrderFilters(params: URLSearchParams): OrderFilters {
  const raw: Record<string, unknown> = Object.fromEntries(params);
  const statuses = params.getAll('status').filter(Boolean);
  raw.status = statuses.length > 1 ? statuses : statuses[0];
  for (const k of Object.keys(raw)) if (raw[k] === '') delete raw[k];
  return OrderFilters.parse(raw);
}

export interface OrderRow {
  id: number;
  number: string;
  status: string;
  channel: string;
  externalId: string;
  customerName: string;
  customerEmail: string;
  currency: string;
  total: number;
  /** The warehouse that ships the whole order; null for a split order (see `warehouses`) or one not routed yet. */
  warehouse: string | null;
  /** Every warehouse holding (or having shipped) stock for the order. */
  warehouses: string[];
  holdReasons: string[];
  placedAt: string;
  lineCount: number;
}

export interface OrderPage {
  rows: OrderRow[];
  /** Matching orders, counted up to COUNT_CAP (then `totalCapped`). */
  total: number;
  totalCapped: boolean;
  page: number;
  pages: number;
  /** Keyset cursors: pass as `after` for the next page, `before` for the previous one; null when there is none. */
  nextCursor: string | null;
  prevCursor: string | null;
}

/** Counting stops here ("more than 10,000"): an exact count(*) over a broad filter would read every matching row on every page view. */
export const COUNT_CAP = 10_000;

/**
 * The columns of each sort, before the id that breaks ties (so the order is total). Each matches an
 * index: (placed_at, id), (total_minor, id), the primary key, (status, placed_at, id).
 */
const SORT_COLUMNS: Record<OrderSort, { sql: string; kind: 'time' | 'number' | 'text' }[]> = {
  placed_at: [{ sql: 'o.placed_at', kind: 'time' }],
  total: [{ sql: 'o.total_minor', kind: 'number' }],
  number: [],
  status: [
    { sql: 'o.status', kind: 'text' },
    { sql: 'o.placed_at', kind: 'time' },
  ],
};

type SortValue = string | number;
/** A cursor names one row by its sort values (times to the microsecond) and id (base64url JSON), tied to the sort it was made for. */
function encodeCursor(sort: OrderSort, values: SortValue[], id: number): string {
  return Buffer.from(JSON.stringify([sort, values, id])).toString('base64url');
}
function decodeCursor(cursor: string | undefined, sort: OrderSort): { values: SortValue[]; id: number } | null {
  if (!cursor) return null;
  try {
    const [s, values, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const columns = SORT_COLUMNS[sort];
    if (s !== sort || !Number.isSafeInteger(id) || !Array.isArray(values) || values.length !== columns.length) return null;
    const ok = columns.every((c, i) =>
      c.kind === 'number' ? Number.isSafeInteger(values[i]) : typeof values[i] === 'string' && (c.kind !== 'time' || isSaneDate(values[i] as string)),
    );
    return ok ? { values: values as SortValue[], id: id as number } : null;
  } catch {
    return null;
  }
}

/**
 * Text search: any part of the value from three characters on (what trigrams can find); shorter
 * input matches whole values only, so one or two letters never scan every order.
 */
const likePattern = (q: string) => {
  const escaped = q.replace(/[%_\\]/g, (m) => `\\${m}`);
  return q.length >= 3 ? `%${escaped}%` : escaped;
};

/**
 * The orders that match, as rows of id and sort columns (aliased `o`). A search is two disjoint arms, each
 * driven by an index and narrowed by the other filters: order number or external id (trigrams), and the
 * orders of the customers whose name or email matches (trigrams, then (customer_id, …); the customers are
 * found first, so the planner never hash-joins every order), less those the first arm found. The sort then
 * runs over the matches only.
 */
function matching(f: OrderFilters, where: string[], params: unknown[], extra: string[], extraParams: unknown[]): { sql: string; params: unknown[] } {
  const conds = [...where, ...extra];
  const condParams = [...params, ...extraParams];
  const cols = ['o.id', ...SORT_COLUMNS[f.sort].map((c) => c.sql)].join(', ');
  const and = conds.map((c) => ` and ${c}`).join('');
  if (!f.q) return { sql: `select ${cols} from sales_order o${conds.length ? ` where ${conds.join(' and ')}` : ''}`, params: condParams };
  const like = likePattern(f.q);
  return {
    sql: `select ${cols} from sales_order o where (o.number ilike ? or o.external_id ilike ?)${and}
          union all
          select ${cols} from sales_order o
           where o.customer_id = any(array(select c.id from customer c where c.name ilike ? or c.email ilike ?))
             and not (o.number ilike ? or o.external_id ilike ?)${and}`,
    params: [like, like, ...condParams, like, like, like, like, ...condParams],
  };
}

/**
 * One page of orders, filtered and sorted in SQL, built to stay fast over millions of rows:
 * - every filter is on sales_order's own columns (codes resolved to ids first), so each leads one of the
 *   composite indexes that then walks the sort (placed_at, id) and stops at the page;
 * - the page's ids are found first and only those rows are joined and decorated (customer, line count,
 *   warehouses), so skipping rows costs index entries, not joins;
 * - text search is two trigram index lookups (order number / external id, customer name / email) that the
 *   other filters narrow, sorted among the matches;
 * - next and previous pages seek from a cursor (keyset), so page 1,000 costs what page 1 does and a page
 *   never repeats or skips a row while new orders arrive; `page` alone still pages by offset;
 * - the count stops at COUNT_CAP.
 * Ties in the sort are broken by id, so the order is total and paging is stable.
 */
/** A row of the orders list's page query (kept raw: a correlated count and an array subquery per order). */
interface OrderListRow {
  id: number;
  number: string;
  status: string;
  channel: string;
  external_id: string;
  customer_name: string;
  customer_email: string;
  currency: string;
  total_minor: number;
  warehouse: string | null;
  hold_reasons: string[] | null;
  placed_at: Date | string;
  /** placed_at as UTC text to the microsecond, for the cursor. */
  placed_at_key: string;
  /** count(*): text. */
  line_count: string;
  warehouses: string[];
}

/**
 * The analytics reports' drill-down filters, each as the reports count it (app/modules/analytics/ops-rollups.server.ts).
 * They are meant with a range of days (from / to, or returnFrom / returnTo), which narrows the orders first.
 */
function reportFilters(f: OrderFilters, where: string[], params: unknown[]) {
  if (f.country) {
    where.push(`${COUNTRY} = ?`);
    params.push(f.country);
  }
  if (f.paymentMethod) {
    where.push('o.payment_method = ?');
    params.push(f.paymentMethod);
  }
  if (f.holdReason) {
    where.push('o.hold_history @> array[?]::text[]');
    params.push(f.holdReason);
  }
  if (f.cancelReason) {
    where.push(`o.status = 'cancelled' and ${cancelKey('o.cancel_reason')} = ?`);
    params.push(f.cancelReason === '-' ? '' : f.cancelReason);
  }
  if (f.shipLate) where.push(`(select min(s.shipped_at) from shipment s where s.order_id = o.id) > o.promised_by`);
  if (f.deliverLate)
    where.push(
      `(select case when count(*) > 0 and count(s.delivered_at) = count(*) then max(s.delivered_at) end from shipment s where s.order_id = o.id) > o.promised_by`,
    );
  if (f.took) {
    const [, stage, lo, hi] = /^(\w+):(\d+)-(\d*)$/.exec(f.took)!;
    const times = `(select min(s.shipped_at) as shipped, case when count(*) > 0 and count(s.delivered_at) = count(*) then max(s.delivered_at) end as delivered
                      from shipment s where s.order_id = o.id)`;
    const span = stage === 'ship' ? 't.shipped - o.placed_at' : stage === 'transit' ? 't.delivered - t.shipped' : 't.delivered - o.placed_at';
    where.push(`exists (select 1 from ${times} t where ${span} >= make_interval(hours => ?::int)${hi ? ` and ${span} < make_interval(hours => ?::int)` : ''})`);
    params.push(Number(lo), ...(hi ? [Number(hi)] : []));
  }
  if (f.returned || f.returnReason || f.returnResolution || f.returnSku || f.returnFrom || f.returnTo) {
    const conds = [`r.status not in ('rejected', 'expired')`];
    if (f.returnReason) {
      conds.push('r.reason = ?');
      params.push(f.returnReason);
    }
    if (f.returnResolution) {
      conds.push('r.resolution = ?');
      params.push(f.returnResolution);
    }
    if (f.returnSku) {
      conds.push(`r.lines @> jsonb_build_array(jsonb_build_object('sku', ?::text))`);
      params.push(f.returnSku);
    }
    if (f.returnFrom) {
      conds.push('r.created_at >= ?');
      params.push(new Date(`${f.returnFrom}T00:00:00Z`));
    }
    if (f.returnTo) {
      conds.push('r.created_at < ?');
      params.push(new Date(new Date(`${f.returnTo}T00:00:00Z`).getTime() + 86_400_000));
    }
    where.push(`o.id in (select r.order_id from return_request r where ${conds.join(' and ')})`);
  }
}

export async function listOrders(em: EntityManager, f: OrderFilters): Promise<OrderPage> {
  const empty: OrderPage = { rows: [], total: 0, totalCapped: false, page: 1, pages: 1, nextCursor: null, prevCursor: null };
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.channel || f.warehouse) {
    const ids = await db(em)
      .selectNoFrom((eb) => [
        eb
          .selectFrom('channel')
          .select('id')
          .where('code', '=', f.channel ?? null)
          .as('channel_id'),
        eb
          .selectFrom('warehouse')
          .select('id')
          .where('code', '=', f.warehouse ?? null)
          .as('warehouse_id'),
      ])
      .executeTakeFirstOrThrow();
    if ((f.channel && ids.channel_id === null) || (f.warehouse && ids.warehouse_id === null)) return empty;
    if (f.channel) {
      where.push('o.channel_id = ?');
      params.push(ids.channel_id);
    }
    if (f.warehouse) {
      // The order's warehouse; a split order (no single warehouse) by the warehouses of its reservations, looked up
      // per split order (an array subquery, so the planner never hashes every reservation of the warehouse).
      where.push(`(o.warehouse_id = ? or (o.warehouse_id is null and ?::int = any(array(select r.warehouse_id from reservation r where r.order_id = o.id))))`);
      params.push(ids.warehouse_id, ids.warehouse_id);
    }
  }
  if (f.status?.length) {
    where.push('o.status in (?)');
    params.push(f.status);
  }
  if (f.customer) {
    where.push('o.customer_id = ?');
    params.push(f.customer);
  }
  if (f.sku) {
    // By the product's id: each order walked is one probe of its own lines (order_line's order_id index).
    const product = await db(em).selectFrom('product').select('id').where('sku', '=', f.sku).executeTakeFirst();
    if (!product) return empty;
    where.push('exists (select 1 from order_line l where l.order_id = o.id and l.product_id = ?)');
    params.push(product.id);
  }
  if (f.late) {
    where.push(`o.status in (?) and o.promised_by < now()`);
    params.push(NOT_SHIPPED);
  }
  if (f.paymentFailed) {
    where.push(
      `exists (select 1 from payment p join payment_operation op on op.payment_id = p.id where p.order_id = o.id and not op.succeeded and op.created_at >= ?)`,
    );
    params.push(f.paymentFailed === 'any' ? new Date(0) : new Date(`${f.paymentFailed}T00:00:00Z`));
  }
  reportFilters(f, where, params);
  if (f.from) {
    where.push('o.placed_at >= ?');
    params.push(new Date(`${f.from}T00:00:00Z`));
  }
  if (f.to) {
    where.push('o.placed_at < ?');
    params.push(new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000));
  }

  // Which rows: seek from a cursor (forwards, or backwards for the previous page), else an offset.
  const columns = SORT_COLUMNS[f.sort];
  const after = decodeCursor(f.after, f.sort);
  const before = after ? null : decodeCursor(f.before, f.sort);
  const seek = after ?? before;
  const backwards = before !== null;
  const ascending = (f.dir === 'asc') !== backwards;
  const seekWhere: string[] = [];
  const seekParams: unknown[] = [];
  if (seek) {
    const op = ascending ? '>' : '<';
    seekWhere.push(
      `(${[...columns.map((c) => c.sql), 'o.id'].join(', ')}) ${op} (${[...columns.map((c) => (c.kind === 'time' ? '?::timestamptz' : '?')), '?'].join(', ')})`,
    );
    seekParams.push(...seek.values, seek.id);
  }
  const order = [...columns.map((c) => c.sql), 'o.id'].map((c) => `${c} ${ascending ? 'asc' : 'desc'}`).join(', ');
  const offset = seek ? 0 : (f.page - 1) * f.pageSize;
  const count = matching(f, where, params, [], []);
  const page = matching(f, where, params, seekWhere, seekParams);
  const run = (x: EntityManager) =>
    [
      x.execute<{ n: string }[]>(`select count(*) as n from (${count.sql} limit ${COUNT_CAP + 1}) x`, count.params),
      x.execute<{ id: number }[]>(`select o.id from (${page.sql}) o order by ${order} limit ? offset ?`, [...page.params, f.pageSize + 1, offset]),
    ] as const;
  // The count and the page's ids at once (two connections). A search runs without parallel workers: on a
  // few cores the planner's parallel scan of every customer costs several times the trigram index.
  const [[{ n }], ids] = f.q
    ? await em.transactional(async (tem) => {
        await tem.execute('set local max_parallel_workers_per_gather = 0');
        return Promise.all(run(tem as EntityManager));
      })
    : await Promise.all(run(em));
  const total = Math.min(Number(n), COUNT_CAP);
  // Going back past the first page (rows came in since): start again from the top.
  if (backwards && ids.length < f.pageSize) return listOrders(em, { ...f, before: undefined, page: 1 });
  const more = ids.length > f.pageSize;
  const pageIds = ids.slice(0, f.pageSize).map((r) => Number(r.id));
  if (backwards) pageIds.reverse();

  const rows = pageIds.length
    ? await em.execute<OrderListRow[]>(
        `select o.id, o.number, o.status, ch.code as channel, o.external_id, coalesce(o.customer_name, c.name) as customer_name, c.email as customer_email, o.currency,
            o.total_minor, w.code as warehouse, o.hold_reasons, o.placed_at,
            to_char(o.placed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as placed_at_key,
            (select count(*) from order_line l where l.order_id = o.id) as line_count,
            array(select distinct rw.code from reservation r join warehouse rw on rw.id = r.warehouse_id where r.order_id = o.id order by rw.code) as warehouses
       from sales_order o join channel ch on ch.id = o.channel_id join customer c on c.id = o.customer_id left join warehouse w on w.id = o.warehouse_id
      where o.id in (?)`,
        [pageIds],
      )
    : [];
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const sorted = pageIds.map((id) => byId.get(id)!).filter(Boolean);
  const valueOf: Record<string, (r: OrderListRow) => SortValue> = {
    'o.placed_at': (r) => r.placed_at_key,
    'o.total_minor': (r) => Number(r.total_minor),
    'o.status': (r) => r.status,
  };
  const cursorOf = (r: OrderListRow) =>
    encodeCursor(
      f.sort,
      columns.map((c) => valueOf[c.sql](r)),
      Number(r.id),
    );
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  return {
    rows: sorted.map((r) => ({
      id: Number(r.id),
      number: String(r.number),
      status: String(r.status),
      channel: String(r.channel),
      externalId: String(r.external_id),
      customerName: String(r.customer_name),
      customerEmail: String(r.customer_email),
      currency: String(r.currency),
      total: Number(r.total_minor),
      warehouse: r.warehouse ?? null,
      warehouses: r.warehouses.length ? r.warehouses : r.warehouse ? [r.warehouse] : [],
      holdReasons: r.hold_reasons ?? [],
      placedAt: new Date(r.placed_at).toISOString(),
      lineCount: Number(r.line_count),
    })),
    total,
    totalCapped: Number(n) > COUNT_CAP,
    page: f.page,
    pages: Math.max(1, Math.ceil(total / f.pageSize)),
    nextCursor: last && (backwards || more) ? cursorOf(last) : null,
    prevCursor: first && (backwards ? more : seek !== null || f.page > 1) ? cursorOf(first) : null,
  };
}

/** One order with its lines, reservations, payments and timeline (audit trail). */
export async function getOrder(em: EntityManager, idOrNumber: string) {
  const id = parseId(idOrNumber);
  const o = await db(em)
    .selectFrom('sales_order as o')
    .innerJoin('channel as ch', 'ch.id', 'o.channel_id')
    .innerJoin('customer as c', 'c.id', 'o.customer_id')
    .leftJoin('warehouse as w', 'w.id', 'o.warehouse_id')
    .selectAll('o')
    .select((eb) => [
      'ch.code as channel_code',
      'ch.name as channel_name',
      'c.id as customer_id',
      eb.fn.coalesce('o.customer_name', 'c.name').as('customer_name'),
      'c.email as customer_email',
      'c.tier as customer_tier',
      'w.code as warehouse_code',
    ])
    .$if(id !== null, (q) => q.where('o.id', '=', id ?? 0))
    .$if(id === null, (q) => q.where('o.number', '=', idOrNumber))
    .executeTakeFirst();
  if (!o) return null;
  const [lines, reservations, payments, timeline] = await Promise.all([
    db(em)
      .selectFrom('order_line')
      .select(['id', 'sku', 'name', 'quantity', 'unit_price_minor', 'total_minor'])
      .where('order_id', '=', o.id)
      .orderBy('id')
      .execute(),
    db(em)
      .selectFrom('reservation as r')
      .innerJoin('product as p', 'p.id', 'r.product_id')
      .innerJoin('warehouse as w', 'w.id', 'r.warehouse_id')
      .select(['r.id', 'p.sku', 'w.code as warehouse', 'r.quantity', 'r.status', 'r.created_at', 'r.released_at'])
      .where('r.order_id', '=', o.id)
      .orderBy('r.id')
      .execute(),
    db(em)
      .selectFrom('payment')
      .select([
        'id',
        'provider',
        'method',
        'currency',
        'amount_minor',
        'authorised_minor',
        'captured_minor',
        'refunded_minor',
        'status',
        'card_last4',
        'failure_code',
        'created_at',
      ])
      .where('order_id', '=', o.id)
      .orderBy('id')
      .execute(),
    db(em)
      .selectFrom('audit_event')
      .select(['id', 'at', 'actor_type', 'actor_label', 'action', 'before', 'after'])
      .where('entity_type', '=', 'Order')
      .where('entity_id', '=', String(o.id))
      .orderBy('id')
      .execute(),
  ]);
  return {
    id: Number(o.id),
    number: o.number as string,
    status: o.status as string,
    channel: { code: o.channel_code, name: o.channel_name },
    externalId: o.external_id as string,
    customer: { id: Number(o.customer_id), name: o.customer_name, email: o.customer_email, tier: o.customer_tier },
    currency: o.currency as string,
    totals: {
      subtotal: Number(o.subtotal_minor),
      shipping: Number(o.shipping_minor),
      tax: Number(o.tax_minor),
      taxIncluded: Boolean(o.tax_included),
      discount: Number(o.discount_minor),
      total: Number(o.total_minor),
    },
    holdReasons: o.hold_reasons as string[],
    paymentMethod: o.payment_method as string,
    deliveryMethod: o.delivery_method as string,
    shippingAddress: o.shipping_address,
    warehouse: o.warehouse_code as string | null,
    promisedBy: o.promised_by ? new Date(o.promised_by).toISOString() : null,
    placedAt: new Date(o.placed_at).toISOString(),
    trackingToken: o.tracking_token as string,
    lines: lines.map((l) => ({
      id: Number(l.id),
      sku: l.sku,
      name: l.name,
      quantity: Number(l.quantity),
      unitPrice: Number(l.unit_price_minor),
      total: Number(l.total_minor),
    })),
    reservations: reservations.map((r) => ({
      id: Number(r.id),
      sku: r.sku,
      warehouse: r.warehouse,
      quantity: Number(r.quantity),
      status: r.status,
      createdAt: new Date(r.created_at).toISOString(),
      releasedAt: r.released_at ? new Date(r.released_at).toISOString() : null,
    })),
    payments: payments.map((p) => ({
      id: Number(p.id),
      provider: p.provider,
      method: p.method,
      currency: p.currency,
      amount: Number(p.amount_minor),
      authorised: Number(p.authorised_minor),
      captured: Number(p.captured_minor),
      refunded: Number(p.refunded_minor),
      status: p.status,
      cardLast4: p.card_last4,
      failureCode: p.failure_code,
      createdAt: new Date(p.created_at).toISOString(),
    })),
    timeline: timeline.map((t) => ({
      id: Number(t.id),
      at: new Date(t.at).toISOString(),
      actor: t.actor_label ?? t.actor_type,
      action: t.action,
      before: t.before as unknown,
      after: t.after as unknown,
    })),
  };
}
export type OrderDetail = NonNullable<Awaited<ReturnType<typeof getOrder>>>;
