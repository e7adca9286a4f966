// The order list query as it was before the list was measured at scale (commit 0d53e85), kept verbatim
// as the bench's baseline: joins in every filter, an offset over the joined rows, `ilike` across two
// tables. bench/orders-list.ts runs it on the indexes of that time, in the same run as the new one.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrderFilters, OrderRow } from '../../app/modules/orders/queries.server.ts';

const SORT_SQL: Record<OrderFilters['sort'], string> = { placed_at: 'o.placed_at', total: 'o.total_minor', number: 'o.id', status: 'o.status' };

/**
 * One page of orders, filtered and sorted in SQL. The count stops at 10,000 (shown as "10,000+")
 * so a broad filter over hundreds of thousands of orders stays fast.
 */
export async function listOrdersBefore(
  em: EntityManager,
  f: OrderFilters,
): Promise<{ rows: Omit<OrderRow, 'warehouses'>[]; total: number; totalCapped: boolean; page: number; pages: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.status?.length) {
    where.push('o.status in (?)');
    params.push(f.status);
  }
  if (f.channel) {
    where.push('ch.code = ?');
    params.push(f.channel);
  }
  if (f.warehouse) {
    where.push('w.code = ?');
    params.push(f.warehouse);
  }
  if (f.customer) {
    where.push('o.customer_id = ?');
    params.push(f.customer);
  }
  if (f.from) {
    where.push('o.placed_at >= ?');
    params.push(new Date(`${f.from}T00:00:00Z`));
  }
  if (f.to) {
    where.push('o.placed_at < ?');
    params.push(new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000));
  }
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
    [...params, f.pageSize, (f.page - 1) * f.pageSize],
  );
  return {
    rows: rows.map((r) => ({
      id: Number(r.id),
      number: String(r.number),
      status: String(r.status),
      channel: String(r.channel),
      externalId: String(r.external_id),
      customerName: String(r.customer_name),
      customerEmail: String(r.customer_email),
      currency: String(r.currency),
      total: Number(r.total_minor),
      warehouse: (r.warehouse as string | null) ?? null,
      holdReasons: (r.hold_reasons as string[]) ?? [],
      placedAt: new Date(r.placed_at as string).toISOString(),
      lineCount: Number(r.line_count),
    })),
    total,
    totalCapped: Number(n) > CAP,
    page: f.page,
    pages: Math.max(1, Math.ceil(total / f.pageSize)),
  };
}
