import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { db } from '../../lib/db.server.ts';

export async function openPickLists(em: EntityManager, warehouse?: string) {
  const rows = await db(em)
    .selectFrom('pick_list as pk')
    .innerJoin('warehouse as w', 'w.id', 'pk.warehouse_id')
    .leftJoin('pick_list_line as pl', 'pl.pick_list_id', 'pk.id')
    .select((eb) => [
      'pk.id',
      'pk.number',
      'pk.method',
      'pk.zone',
      'pk.status',
      'pk.created_at',
      'w.code as warehouse',
      eb.fn.count('pl.id').as('lines'),
      eb.fn.coalesce(eb.fn.sum('pl.quantity'), sql.lit(0)).as('units'),
      eb.fn.coalesce(eb.fn.sum('pl.picked'), sql.lit(0)).as('picked'),
      eb.fn.count('pl.order_id').distinct().as('orders'),
    ])
    .where('pk.status', 'in', ['open', 'picking'])
    .$if(!!warehouse, (q) => q.where('w.code', '=', warehouse ?? ''))
    .groupBy(['pk.id', 'w.code'])
    .orderBy('pk.id', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    number: r.number as string,
    method: r.method as string,
    zone: r.zone as string | null,
    status: r.status as string,
    warehouse: r.warehouse as string,
    createdAt: new Date(r.created_at).toISOString(),
    lines: Number(r.lines),
    units: Number(r.units),
    picked: Number(r.picked),
    orders: Number(r.orders),
  }));
}

export async function pickList(em: EntityManager, id: number) {
  const pk = await db(em)
    .selectFrom('pick_list as pk')
    .innerJoin('warehouse as w', 'w.id', 'pk.warehouse_id')
    .selectAll('pk')
    .select('w.code as warehouse')
    .where('pk.id', '=', id)
    .executeTakeFirst();
  if (!pk) return null;
  const lines = await db(em)
    .selectFrom('pick_list_line as pl')
    .innerJoin('product as p', 'p.id', 'pl.product_id')
    .innerJoin('sales_order as o', 'o.id', 'pl.order_id')
    .select([
      'pl.id',
      'pl.sku',
      'p.name',
      'p.barcode',
      'pl.bin',
      'pl.quantity',
      'pl.picked',
      'o.id as order_id',
      'o.number as order_number',
      'o.status as order_status',
    ])
    .where('pl.pick_list_id', '=', id)
    .orderBy('pl.bin', (ob) => ob.asc().nullsLast())
    .orderBy('pl.sku')
    .orderBy('pl.id')
    .execute();
  return {
    id: Number(pk.id),
    number: pk.number as string,
    method: pk.method as string,
    zone: pk.zone as string | null,
    status: pk.status as string,
    warehouse: pk.warehouse as string,
    createdAt: new Date(pk.created_at).toISOString(),
    lines: lines.map((l) => ({
      id: Number(l.id),
      sku: l.sku as string,
      name: l.name as string,
      barcode: l.barcode as string,
      bin: l.bin as string | null,
      quantity: Number(l.quantity),
      picked: Number(l.picked),
      orderId: Number(l.order_id),
      orderNumber: l.order_number as string,
      orderStatus: l.order_status as string,
    })),
  };
}

/** Pick lists to print, in the order given, each with its lines in walking order (bin, then SKU). */
export async function pickListsToPrint(em: EntityManager, ids: number[]) {
  const lists = await Promise.all(ids.slice(0, 200).map((id) => pickList(em, id)));
  return lists.filter((l): l is NonNullable<typeof l> => l !== null);
}

/** The pick lists an order is on (one per warehouse, more for zone picking), with progress. */
export async function pickListsOfOrder(em: EntityManager, orderId: number) {
  const rows = await db(em)
    .selectFrom('pick_list_line as pl')
    .innerJoin('pick_list as pk', 'pk.id', 'pl.pick_list_id')
    .innerJoin('warehouse as w', 'w.id', 'pk.warehouse_id')
    .select((eb) => [
      'pk.id',
      'pk.number',
      'pk.method',
      'pk.zone',
      'pk.status',
      'w.code as warehouse',
      eb.fn.sum('pl.quantity').as('units'),
      eb.fn.sum('pl.picked').as('picked'),
    ])
    .where('pl.order_id', '=', orderId)
    .groupBy(['pk.id', 'w.code'])
    .orderBy('w.code')
    .orderBy('pk.id')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    number: r.number as string,
    method: r.method as string,
    zone: r.zone as string | null,
    status: r.status as string,
    warehouse: r.warehouse as string,
    units: Number(r.units),
    picked: Number(r.picked),
  }));
}

/** Orders whose picking is finished (ready to pack) and packed orders (ready to ship). */
export async function readyToPackOrShip(em: EntityManager) {
  // Kept raw: correlated exists / not exists over a join read more plainly as SQL.
  const rows = await em.execute<{ id: number; number: string; status: string; delivery_method: string; country: string | null }[]>(
    `select o.id, o.number, o.status, o.delivery_method, (o.shipping_address ->> 'country') as country
       from sales_order o
      where o.status = 'packed'
         or (o.status = 'picking' and not exists (select 1 from pick_list_line pl join pick_list pk on pk.id = pl.pick_list_id where pl.order_id = o.id and pk.status <> 'cancelled' and pl.picked < pl.quantity)
             and exists (select 1 from pick_list_line pl where pl.order_id = o.id))
      order by o.id limit 200`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    number: r.number as string,
    status: r.status as string,
    deliveryMethod: r.delivery_method as string,
    country: r.country as string,
  }));
}

export async function recentShipments(em: EntityManager, opts: { orderId?: number; limit?: number } = {}) {
  const rows = await db(em)
    .selectFrom('shipment as s')
    .innerJoin('carrier as c', 'c.id', 's.carrier_id')
    .innerJoin('sales_order as o', 'o.id', 's.order_id')
    .innerJoin('warehouse as w', 'w.id', 's.warehouse_id')
    .select([
      's.id',
      's.tracking_number',
      's.status',
      's.service',
      's.weight_grams',
      's.lines',
      's.shipped_at',
      's.delivered_at',
      'c.code as carrier',
      'c.name as carrier_name',
      'c.tracking_url_template',
      'o.id as order_id',
      'o.number as order_number',
      'w.code as warehouse',
    ])
    .$if(!!opts.orderId, (q) => q.where('s.order_id', '=', opts.orderId ?? 0))
    .orderBy('s.id', 'desc')
    .limit(opts.limit ?? 50)
    .execute();
  const events = rows.length
    ? await db(em)
        .selectFrom('shipment_event')
        .select(['shipment_id', 'status', 'description', 'location', 'occurred_at'])
        .where(
          'shipment_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('occurred_at')
        .orderBy('id')
        .execute()
    : [];
  return rows.map((r) => ({
    id: Number(r.id),
    trackingNumber: r.tracking_number as string,
    status: r.status as string,
    carrier: r.carrier as string,
    carrierName: r.carrier_name as string,
    service: r.service as string,
    trackingUrl: (r.tracking_url_template as string).replace('{tracking}', encodeURIComponent(r.tracking_number)),
    weightGrams: Number(r.weight_grams),
    lines: r.lines as { sku: string; quantity: number }[],
    warehouse: r.warehouse as string,
    orderId: Number(r.order_id),
    orderNumber: r.order_number as string,
    shippedAt: r.shipped_at ? new Date(r.shipped_at).toISOString() : null,
    deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
    events: events
      .filter((e) => Number(e.shipment_id) === Number(r.id))
      .map((e) => ({
        status: e.status as string,
        description: e.description as string | null,
        location: e.location as string | null,
        at: new Date(e.occurred_at).toISOString(),
      })),
  }));
}
