// Reading orders: the list (filters, sort, search, paging) and one order with everything about it.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ORDER_STATUSES } from '../../../entities/constants.ts';

export const ORDER_SORTS = ['placed_at', 'total', 'number', 'status'] as const;

export const OrderFilters = z.object({
  status: z.array(z.enum(ORDER_STATUSES)).or(z.enum(ORDER_STATUSES).transform((s) => [s])).optional().catch(undefined),
  channel: z.string().max(64).optional().catch(undefined),
  warehouse: z.string().max(64).optional().catch(undefined),
  customer: z.coerce.number().int().positive().optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  from: z.string().date().optional().catch(undefined),
  to: z.string().date().optional().catch(undefined),
  sort: z.enum(ORDER_SORTS).catch('placed_at'),
  dir: z.enum(['asc', 'desc']).catch('desc'),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  pageSize: z.coerce.number().int().min(1).max(200).catch(50),
});
export type OrderFilters = z.infer<typeof OrderFilters>;

export function parseOrderFilters(params: URLSearchParams): OrderFilters {
  const raw: Record<string, unknown> = Object.fromEntries(params);
  const statuses = params.getAll('status').filter(Boolean);
  raw.status = statuses.length > 1 ? statuses : statuses[0];
  for (const k of Object.keys(raw)) if (raw[k] === '') delete raw[k];
  return OrderFilters.parse(raw);
}

export interface OrderRow {
  id: number; number: string; status: string; channel: string; externalId: string; customerName: string; customerEmail: string;
  currency: string; total: number; warehouse: string | null; holdReasons: string[]; placedAt: string; lineCount: number;
}

const SORT_SQL: Record<(typeof ORDER_SORTS)[number], string> = { placed_at: 'o.placed_at', total: 'o.total_minor', number: 'o.id', status: 'o.status' };

/**
 * One page of orders, filtered and sorted in SQL. The count stops at 10,000 (shown as "10,000+")
 * so a broad filter over hundreds of thousands of orders stays fast.
 */
export async function listOrders(em: EntityManager, f: OrderFilters): Promise<{ rows: OrderRow[]; total: number; totalCapped: boolean; page: number; pages: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.status?.length) { where.push('o.status in (?)'); params.push(f.status); }
  if (f.channel) { where.push('ch.code = ?'); params.push(f.channel); }
  if (f.warehouse) { where.push('w.code = ?'); params.push(f.warehouse); }
  if (f.customer) { where.push('o.customer_id = ?'); params.push(f.customer); }
  if (f.from) { where.push('o.placed_at >= ?'); params.push(new Date(`${f.from}T00:00:00Z`)); }
  if (f.to) { where.push('o.placed_at < ?'); params.push(new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000)); }
  if (f.q) {
    where.push(`(o.number ilike ? or o.external_id ilike ? or c.email ilike ? or c.name ilike ?)`);
    const like = `%${f.q.replace(/[%_\\]/g, (m) => `\\${m}`)}%`;
    params.push(like, like, like, like);
  }
  const whereSql = where.length ? `where ${where.join(' and ')}` : '';
  const from = `from sales_order o join channel ch on ch.id = o.channel_id join customer c on c.id = o.customer_id left join warehouse w on w.id = o.warehouse_id ${whereSql}`;
  const CAP = 10_000;
  const [{ n }] = await em.execute<{ n: string }[]>(`select count(*) as n from (select 1 ${from} limit ${CAP + 1}) x`, params);
  const total = Math.min(Number(n), CAP);
  const rows = await em.execute<Record<string, unknown>[]>(
    `select o.id, o.number, o.status, ch.code as channel, o.external_id, c.name as customer_name, c.email as customer_email, o.currency,
            o.total_minor, w.code as warehouse, o.hold_reasons, o.placed_at,
            (select count(*) from order_line l where l.order_id = o.id) as line_count
       ${from}
      order by ${SORT_SQL[f.sort]} ${f.dir}, o.id ${f.dir}
      limit ? offset ?`,
    [...params, f.pageSize, (f.page - 1) * f.pageSize]);
  return {
    rows: rows.map((r) => ({
      id: Number(r.id), number: String(r.number), status: String(r.status), channel: String(r.channel), externalId: String(r.external_id),
      customerName: String(r.customer_name), customerEmail: String(r.customer_email), currency: String(r.currency), total: Number(r.total_minor),
      warehouse: (r.warehouse as string | null) ?? null, holdReasons: (r.hold_reasons as string[]) ?? [], placedAt: new Date(r.placed_at as string).toISOString(), lineCount: Number(r.line_count),
    })),
    total,
    totalCapped: Number(n) > CAP,
    page: f.page,
    pages: Math.max(1, Math.ceil(total / f.pageSize)),
  };
}

/** One order with its lines, reservations, payments and timeline (audit trail). */
export async function getOrder(em: EntityManager, idOrNumber: string) {
  const byId = /^\d+$/.test(idOrNumber);
  const [o] = await em.execute<Record<string, any>[]>(
    `select o.*, ch.code as channel_code, ch.name as channel_name, c.id as customer_id, c.name as customer_name, c.email as customer_email, c.tier as customer_tier, w.code as warehouse_code
       from sales_order o join channel ch on ch.id = o.channel_id join customer c on c.id = o.customer_id left join warehouse w on w.id = o.warehouse_id
      where ${byId ? 'o.id = ?' : 'o.number = ?'}`, [byId ? Number(idOrNumber) : idOrNumber]);
  if (!o) return null;
  const [lines, reservations, payments, timeline] = await Promise.all([
    em.execute<Record<string, any>[]>('select id, sku, name, quantity, unit_price_minor, total_minor from order_line where order_id = ? order by id', [o.id]),
    em.execute<Record<string, any>[]>(`select r.id, p.sku, w.code as warehouse, r.quantity, r.status, r.created_at, r.released_at from reservation r join product p on p.id = r.product_id join warehouse w on w.id = r.warehouse_id where r.order_id = ? order by r.id`, [o.id]),
    em.execute<Record<string, any>[]>('select id, provider, method, currency, amount_minor, authorised_minor, captured_minor, refunded_minor, status, card_last4, failure_code, created_at from payment where order_id = ? order by id', [o.id]),
    em.execute<Record<string, any>[]>(`select id, at, actor_type, actor_label, action, before, after from audit_event where entity_type = 'Order' and entity_id = ? order by id`, [String(o.id)]),
  ]);
  return {
    id: Number(o.id), number: o.number as string, status: o.status as string, channel: { code: o.channel_code, name: o.channel_name }, externalId: o.external_id as string,
    customer: { id: Number(o.customer_id), name: o.customer_name, email: o.customer_email, tier: o.customer_tier },
    currency: o.currency as string,
    totals: { subtotal: Number(o.subtotal_minor), shipping: Number(o.shipping_minor), tax: Number(o.tax_minor), taxIncluded: Boolean(o.tax_included), discount: Number(o.discount_minor), total: Number(o.total_minor) },
    holdReasons: o.hold_reasons as string[], paymentMethod: o.payment_method as string, deliveryMethod: o.delivery_method as string,
    shippingAddress: o.shipping_address, warehouse: o.warehouse_code as string | null,
    promisedBy: o.promised_by ? new Date(o.promised_by).toISOString() : null, placedAt: new Date(o.placed_at).toISOString(), trackingToken: o.tracking_token as string,
    lines: lines.map((l) => ({ id: Number(l.id), sku: l.sku, name: l.name, quantity: Number(l.quantity), unitPrice: Number(l.unit_price_minor), total: Number(l.total_minor) })),
    reservations: reservations.map((r) => ({ id: Number(r.id), sku: r.sku, warehouse: r.warehouse, quantity: Number(r.quantity), status: r.status, createdAt: new Date(r.created_at).toISOString(), releasedAt: r.released_at ? new Date(r.released_at).toISOString() : null })),
    payments: payments.map((p) => ({ id: Number(p.id), provider: p.provider, method: p.method, currency: p.currency, amount: Number(p.amount_minor), authorised: Number(p.authorised_minor), captured: Number(p.captured_minor), refunded: Number(p.refunded_minor), status: p.status, cardLast4: p.card_last4, failureCode: p.failure_code, createdAt: new Date(p.created_at).toISOString() })),
    timeline: timeline.map((t) => ({ id: Number(t.id), at: new Date(t.at).toISOString(), actor: t.actor_label ?? t.actor_type, action: t.action, before: t.before, after: t.after })),
  };
}
export type OrderDetail = NonNullable<Awaited<ReturnType<typeof getOrder>>>;
