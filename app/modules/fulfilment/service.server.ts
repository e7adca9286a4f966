// Warehouse work after payment: pick lists, scan-to-confirm picking, packing, shipping and tracking.
// Each step is one transaction with its audit and live events, and moves the order through the
// state machine (paid → allocated → picking → packed → shipped → delivered).
import crypto from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { z } from 'zod';
import { TrackingEventInput } from './schemas.ts';
import { PICK_METHODS, type PickMethod, type ShipmentStatus } from '../../../entities/fulfilment.ts';
import type { OrderStatus } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db, jsonb } from '../../lib/db.server.ts';
import { moveStock } from '../inventory/stock.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { Id, parseId } from '../../lib/ids.ts';
import { fieldErrors } from '../../lib/problem.ts';
import { settleOrderWarehouse, transition } from '../orders/service.server.ts';
import { consumeReservations } from '../inventory/reservations.server.ts';
import { enqueueNotification } from '../notifications/service.server.ts';
import { chooseCarrier, parcelCost, planPickLists, trackingNumber, type CarrierOption, type PickCandidate } from './planning.ts';
import type { PickRefusalReason } from './refusals.ts';

const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

const CreatePickListsInput = z.object({
  warehouse: z.string().trim().min(1),
  /** By default the warehouse's own method and batch size (Settings → Warehouses). */
  method: z.preprocess(blankToUndefined, z.enum(PICK_METHODS).optional()),
  size: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(100).optional()),
  orderIds: z.array(Id).max(500).optional(),
});

/** Statuses in which an order's stock may go on pick lists (picking: a split order still missing a warehouse's list). */
const PICKABLE: readonly OrderStatus[] = ['paid', 'allocated', 'picking'];

/**
 * Paid, allocated or picking orders with stock reserved in the warehouse and not yet on one of its
 * (not cancelled) pick lists: one list per order × warehouse, so a split order is picked everywhere.
 */
async function pickCandidates(em: EntityManager, warehouseId: number, orderIds?: number[]): Promise<PickCandidate[]> {
  const rows = await db(em)
    .selectFrom('sales_order as o')
    .innerJoin('reservation as r', (j) => j.onRef('r.order_id', '=', 'o.id').on('r.status', '=', 'active').on('r.warehouse_id', '=', warehouseId))
    .innerJoin('product as p', 'p.id', 'r.product_id')
    .innerJoin('inventory_level as l', (j) => j.onRef('l.product_id', '=', 'r.product_id').onRef('l.warehouse_id', '=', 'r.warehouse_id'))
    .select(['o.id as order_id', 'o.delivery_method', 'o.promised_by', 'r.line_id', 'r.product_id', 'p.sku', 'l.bin', 'r.quantity'])
    .where('o.status', 'in', PICKABLE)
    .$if(!!orderIds?.length, (q) => q.where('o.id', 'in', orderIds!))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('pick_list_line as pl')
            .innerJoin('pick_list as pk', 'pk.id', 'pl.pick_list_id')
            .select(sql.lit(1).as('one'))
            .whereRef('pl.order_id', '=', 'o.id')
            .where('pk.warehouse_id', '=', warehouseId)
            .where('pk.status', '<>', 'cancelled'),
        ),
      ),
    )
    .orderBy('o.id')
    .orderBy('r.id')
    .forUpdate('o')
    .execute();
  const byOrder = new Map<number, PickCandidate>();
  for (const r of rows) {
    let c = byOrder.get(r.order_id);
    if (!c) {
      c = { orderId: r.order_id, deliveryMethod: r.delivery_method, promisedBy: r.promised_by ? new Date(r.promised_by).toISOString() : null, lines: [] };
      byOrder.set(r.order_id, c);
    }
    c.lines.push({ lineId: r.line_id, productId: r.product_id, sku: r.sku, bin: r.bin, quantity: r.quantity });
  }
  return [...byOrder.values()];
}

export interface CreatedPickList {
  id: number;
  number: string;
  warehouse: string;
  method: PickMethod;
  orders: number;
  lines: number;
  zone: string | null;
}

/**
 * Writes the planned lists of one warehouse and moves their orders on: paid → allocated → picking (an
 * order already picking, a split order getting its next warehouse's list, stays). The order's
 * warehouse is recorded only when all its stock is in this one. Audited, and published for live views.
 */
async function writePickLists(
  em: EntityManager,
  wh: { id: number; code: string },
  method: PickMethod,
  candidates: PickCandidate[],
  size: number,
  actor: Actor,
): Promise<CreatedPickList[]> {
  const created: CreatedPickList[] = [];
  for (const plan of planPickLists(method, candidates, size)) {
    const pl = await db(em)
      .insertInto('pick_list')
      .values({
        number: sql<string>`'PL-' || to_char(now(), 'YYMMDD') || '-' || to_char(nextval('pick_list_number_seq'), 'FM000000')`,
        warehouse_id: wh.id,
        method,
        zone: plan.zone,
        status: 'open',
        created_by: actor.label ?? null,
        created_at: sql`now()`,
      })
      .returning(['id', 'number'])
      .executeTakeFirstOrThrow();
    await db(em)
      .insertInto('pick_list_line')
      .values(
        plan.lines.map((l) => ({
          pick_list_id: pl.id,
          order_id: l.orderId,
          line_id: l.lineId,
          product_id: l.productId,
          sku: l.sku,
          bin: l.bin,
          quantity: l.quantity,
          picked: 0,
        })),
      )
      .execute();
    created.push({ id: pl.id, number: pl.number, warehouse: wh.code, method, orders: plan.orders.length, lines: plan.lines.length, zone: plan.zone });
  }
  for (const c of candidates) {
    const o = await db(em).selectFrom('sales_order').select('status').where('id', '=', c.orderId).executeTakeFirstOrThrow();
    if (o.status === 'paid') await transition(em, c.orderId, 'allocated', actor, { reason: `allocated to ${wh.code}` });
    await settleOrderWarehouse(em, c.orderId, wh.id);
    if (o.status !== 'picking') await transition(em, c.orderId, 'picking', actor, { reason: 'pick list created' });
  }
  audit(em, actor, {
    action: 'fulfilment.pick_lists_created',
    entityType: 'Warehouse',
    entityId: wh.id,
    after: { method, orderIds: candidates.map((c) => c.orderId), lists: created },
  });
  publish(em, 'fulfilment', 'pick_lists.created', { warehouse: wh.code, lists: created });
  return created;
}

/** Pick lists for one warehouse by a method (else its own): every waiting order there, or the ones named. */
export async function createPickLists(orm: MikroORM, raw: unknown, actor: Actor) {
  const parsed = CreatePickListsInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  return orm.em.fork().transactional(async (em) => {
    const wh = await db(em)
      .selectFrom('warehouse')
      .select(['id', 'code', 'pick_method', 'pick_batch_size'])
      .where('code', '=', input.warehouse)
      .executeTakeFirst();
    if (!wh) throw invalid([fieldError('warehouse', 'invalid_value')]);
    const candidates = await pickCandidates(em, wh.id, input.orderIds);
    if (!candidates.length) throw new DomainError(409, 'nothing_to_pick', `No paid orders wait for picking in ${wh.code}.`, { params: { warehouse: wh.code } });
    return writePickLists(em, wh, input.method ?? wh.pick_method, candidates, input.size ?? wh.pick_batch_size, actor);
  });
}

const PickOrdersInput = z.object({
  orderIds: z.array(Id).min(1).max(500),
  /** One method for every warehouse; by default each warehouse's own (its pick method and batch size). */
  method: z.enum(PICK_METHODS).optional(),
  size: z.coerce.number().int().min(1).max(100).optional(),
});

export type PickRefusal = { orderId: number; number: string | null; reason: PickRefusalReason; status: string | null; pickLists: string[] };

const AFTER_PICKING = ['packed', 'shipped', 'delivered', 'completed', 'returned', 'partially_returned'];

/**
 * Pick lists for chosen orders (the orders list's "print pick lists", and the workflow's pick step):
 * per warehouse that holds their stock, by that warehouse's method (or the one given), batching orders
 * where the method does. One transaction: every pickable order gets a list in every warehouse its stock
 * is in that has none yet, or nothing is written. Lists the orders are on already and that are still to
 * be picked come back too (`existing`: printed again). Orders that cannot be picked are left as they are
 * and come back with the reason (on hold, not paid, no stock reserved, picked already, closed).
 */
export async function pickListsForOrders(
  orm: MikroORM,
  raw: unknown,
  actor: Actor,
): Promise<{ created: CreatedPickList[]; existing: { id: number; number: string; warehouse: string }[]; refused: PickRefusal[]; orderIds: number[] }> {
  const parsed = PickOrdersInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  const ids = [...new Set(input.orderIds)];
  return orm.em.fork().transactional(async (em) => {
    const orders = await db(em).selectFrom('sales_order').select(['id', 'number', 'status']).where('id', 'in', ids).orderBy('id').forUpdate().execute();
    const stock = await db(em)
      .selectFrom('reservation')
      .select(['order_id', 'warehouse_id'])
      .distinct()
      .where('order_id', 'in', ids)
      .where('status', '=', 'active')
      .execute();
    const listed = await db(em)
      .selectFrom('pick_list_line as pl')
      .innerJoin('pick_list as pk', 'pk.id', 'pl.pick_list_id')
      .innerJoin('warehouse as w', 'w.id', 'pk.warehouse_id')
      .select(['pl.order_id', 'pk.id', 'pk.number', 'pk.status', 'pk.warehouse_id', 'w.code as warehouse'])
      .distinct()
      .where('pl.order_id', 'in', ids)
      .where('pk.status', '<>', 'cancelled')
      .orderBy('pk.id')
      .execute();
    const refused: PickRefusal[] = [];
    const pickable: number[] = [];
    const existing = new Map<number, { id: number; number: string; warehouse: string }>();
    for (const id of ids) {
      const o = orders.find((x) => x.id === id);
      const lists = listed.filter((l) => l.order_id === id);
      const refuse = (reason: PickRefusal['reason']) =>
        refused.push({ orderId: id, number: o?.number ?? null, reason, status: o?.status ?? null, pickLists: [...new Set(lists.map((l) => l.number))] });
      if (!o) {
        refuse('not_found');
        continue;
      }
      if (o.status === 'on_hold') {
        refuse('on_hold');
        continue;
      }
      if (o.status === 'packed') {
        refuse('picked');
        continue;
      }
      if (AFTER_PICKING.includes(o.status) || o.status === 'cancelled') {
        refuse('closed');
        continue;
      }
      if (!PICKABLE.includes(o.status)) {
        refuse('not_paid');
        continue;
      }
      const warehouses = stock.filter((r) => r.order_id === id).map((r) => r.warehouse_id);
      if (!warehouses.length) {
        refuse('not_allocated');
        continue;
      }
      const missing = warehouses.filter((w) => !lists.some((l) => l.warehouse_id === w));
      const open = lists.filter((l) => l.status === 'open' || l.status === 'picking');
      if (!missing.length && !open.length) {
        refuse('picked');
        continue;
      }
      for (const l of open) existing.set(l.id, { id: l.id, number: l.number, warehouse: l.warehouse });
      if (missing.length) pickable.push(id);
    }
    const created: CreatedPickList[] = [];
    if (pickable.length) {
      const warehouses = await db(em)
        .selectFrom('warehouse')
        .select(['id', 'code', 'pick_method', 'pick_batch_size'])
        .where('id', 'in', [...new Set(stock.filter((r) => pickable.includes(r.order_id)).map((r) => r.warehouse_id))])
        .orderBy('code')
        .execute();
      for (const wh of warehouses) {
        const candidates = await pickCandidates(em, wh.id, pickable);
        if (candidates.length)
          created.push(...(await writePickLists(em, wh, input.method ?? wh.pick_method, candidates, input.size ?? wh.pick_batch_size, actor)));
      }
    }
    return { created, existing: [...existing.values()], refused, orderIds: pickable };
  });
}

/**
 * A picker scans one item: the next unpicked line with that SKU or barcode (in bin order) counts it.
 * A scan that is not on the list, or one too many, is refused and changes nothing.
 */
export async function confirmPick(orm: MikroORM, pickListId: number, code: string, actor: Actor, quantity = 1) {
  return orm.em.fork().transactional(async (em) => {
    const pl = await db(em).selectFrom('pick_list').select(['id', 'status', 'number']).where('id', '=', pickListId).forUpdate().executeTakeFirst();
    if (!pl) throw new DomainError(404, 'not_found', `Pick list ${pickListId} does not exist.`);
    if (pl.status === 'picked' || pl.status === 'cancelled')
      throw new DomainError(409, 'pick_list_closed', `Pick list ${pl.number} is ${pl.status}.`, { params: { status: pl.status } });
    const scanned = code.trim();
    const line = await db(em)
      .selectFrom('pick_list_line as pl')
      .innerJoin('product as p', 'p.id', 'pl.product_id')
      .select(['pl.id', 'pl.sku', 'pl.quantity', 'pl.picked', 'pl.order_id'])
      .where('pl.pick_list_id', '=', pickListId)
      .where((eb) => eb.or([eb('p.sku', '=', scanned), eb('p.barcode', '=', scanned)]))
      .whereRef('pl.picked', '<', 'pl.quantity')
      .orderBy('pl.bin', (ob) => ob.asc().nullsLast())
      .orderBy('pl.id')
      .limit(1)
      .executeTakeFirst();
    if (!line) {
      const known = await db(em)
        .selectFrom('pick_list_line as pl')
        .innerJoin('product as p', 'p.id', 'pl.product_id')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('pl.pick_list_id', '=', pickListId)
        .where((eb) => eb.or([eb('p.sku', '=', scanned), eb('p.barcode', '=', scanned)]))
        .executeTakeFirstOrThrow();
      throw Number(known.n) > 0
        ? new DomainError(409, 'already_picked', `Every ${code} on ${pl.number} is already picked.`, { field: 'code', params: { code } })
        : new DomainError(422, 'not_on_pick_list', `${code} is not on pick list ${pl.number}.`, { field: 'code', params: { code } });
    }
    const take = Math.min(quantity, line.quantity - line.picked);
    await db(em)
      .updateTable('pick_list_line')
      .set((eb) => ({ picked: eb('picked', '+', take) }))
      .where('id', '=', line.id)
      .execute();
    const left = await db(em)
      .selectFrom('pick_list_line')
      .select(sql<string>`coalesce(sum(quantity - picked), 0)`.as('n'))
      .where('pick_list_id', '=', pickListId)
      .executeTakeFirstOrThrow();
    const done = Number(left.n) === 0;
    await db(em)
      .updateTable('pick_list')
      .set({ status: done ? 'picked' : 'picking', completed_at: done ? sql`now()` : null })
      .where('id', '=', pickListId)
      .execute();
    audit(em, actor, {
      action: 'fulfilment.picked',
      entityType: 'PickList',
      entityId: pickListId,
      after: { sku: line.sku, orderId: line.order_id, quantity: take, remaining: Number(left.n) },
    });
    publish(em, 'fulfilment', 'pick.confirmed', { pickListId, sku: line.sku, orderId: line.order_id, remaining: Number(left.n) });
    return { sku: line.sku, orderId: line.order_id, picked: line.picked + take, of: line.quantity, remaining: Number(left.n), done };
  });
}

/** Packs an order whose every pick line is picked. */
export async function packOrder(orm: MikroORM, orderId: number, actor: Actor) {
  return orm.em.fork().transactional(async (em) => {
    const p = await db(em)
      .selectFrom('pick_list_line as pl')
      .innerJoin('pick_list as pk', 'pk.id', 'pl.pick_list_id')
      .select((eb) => [eb.fn.countAll<string>().as('lines'), sql<string>`coalesce(sum(pl.quantity - pl.picked), 0)`.as('open')])
      .where('pl.order_id', '=', orderId)
      .where('pk.status', '<>', 'cancelled')
      .executeTakeFirstOrThrow();
    if (Number(p.lines) === 0 || Number(p.open) > 0)
      throw new DomainError(409, 'not_picked', `Order ${orderId} still has ${p.open} item(s) to pick.`, { params: { open: Number(p.open) } });
    return transition(em, orderId, 'packed', actor, { reason: 'packed' });
  });
}

/**
 * Ships a packed order: carrier and service by the carrier rules, a tracking number, and the
 * reserved stock leaves the building (on hand and reserved both go down; the ledger records it).
 */
export async function shipOrder(orm: MikroORM, orderId: number, actor: Actor, opts: { carrier?: string } = {}) {
  const result = await orm.em.fork().transactional(async (em) => {
    const o = await db(em)
      .selectFrom('sales_order')
      .select(['id', 'number', 'status', 'delivery_method', 'shipping_address'])
      .where('id', '=', orderId)
      .forUpdate()
      .executeTakeFirst();
    if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
    if (o.status !== 'packed')
      throw new DomainError(409, 'illegal_transition', `Order ${o.number} is ${o.status}; pack it first.`, { params: { from: o.status, to: 'shipped' } });
    const reservations = await db(em)
      .selectFrom('reservation as r')
      .innerJoin('product as p', 'p.id', 'r.product_id')
      .select(['r.id', 'r.product_id', 'r.warehouse_id', 'r.quantity', 'p.sku', 'p.weight_grams'])
      .where('r.order_id', '=', orderId)
      .where('r.status', '=', 'active')
      .orderBy('r.warehouse_id')
      .orderBy('r.id')
      .execute();
    // Nothing reserved means nothing to put in a parcel: shipping it would mark it shipped with no
    // shipment, carrier or tracking number (reserve it again first, or cancel it).
    if (!reservations.length)
      throw new DomainError(409, 'nothing_to_ship', `Order ${o.number} holds no stock to ship; reserve it first.`, { params: { number: o.number } });
    const carriers: (CarrierOption & { tracking_url_template: string })[] = (
      await db(em).selectFrom('carrier').select(['id', 'code', 'name', 'rules', 'tracking_url_template']).where('active', '=', true).orderBy('id').execute()
    ).filter((c) => !opts.carrier || c.code === opts.carrier);
    const shipments: { id: number; trackingNumber: string; carrier: string; service: string; trackingUrl: string }[] = [];
    for (const warehouseId of [...new Set(reservations.map((r) => r.warehouse_id))]) {
      const items = reservations.filter((r) => r.warehouse_id === warehouseId);
      const weight = items.reduce((n, r) => n + r.weight_grams * r.quantity, 0);
      const choice = chooseCarrier(carriers, { country: o.shipping_address.country, weightGrams: weight, serviceLevel: o.delivery_method });
      if (!choice)
        throw new DomainError(409, 'no_carrier', `No carrier rule fits a ${weight} g ${o.delivery_method} parcel to ${o.shipping_address.country}.`, {
          params: { country: o.shipping_address.country, weight },
        });
      const next = await db(em)
        .selectNoFrom(sql<string>`nextval(pg_get_serial_sequence('shipment', 'id'))`.as('id'))
        .executeTakeFirstOrThrow();
      const id = Number(next.id);
      const tracking = trackingNumber(choice.carrier.code, id, crypto.randomBytes(4).toString('hex'));
      await db(em)
        .insertInto('shipment')
        .values({
          id,
          order_id: orderId,
          warehouse_id: warehouseId,
          carrier_id: choice.carrier.id,
          service: choice.service,
          tracking_number: tracking,
          status: 'label_created',
          weight_grams: weight,
          // What the carrier charges us, at the rule's rate today (margins read it).
          shipping_cost_base_minor: parcelCost(choice.rule, weight),
          lines: jsonb(items.map((r) => ({ sku: r.sku, quantity: r.quantity }))),
          created_at: sql`now()`,
          shipped_at: sql`now()`,
        })
        .execute();
      await db(em)
        .insertInto('shipment_event')
        .values({
          shipment_id: id,
          status: 'label_created',
          description: 'Label created',
          location: null,
          occurred_at: sql`now()`,
          source: 'oms',
          created_at: sql`now()`,
        })
        .execute();
      for (const r of items) {
        await moveStock(
          em,
          { productId: r.product_id, warehouseId: r.warehouse_id, delta: -r.quantity, consumesReserved: r.quantity, kind: 'shipment', reference: o.number },
          actor,
        );
      }
      await consumeReservations(
        em,
        items.map((r) => r.id),
      );
      const tpl = carriers.find((c) => c.id === choice.carrier.id)!.tracking_url_template;
      shipments.push({
        id,
        trackingNumber: tracking,
        carrier: choice.carrier.code,
        service: choice.service,
        trackingUrl: tpl.replace('{tracking}', encodeURIComponent(tracking)),
      });
    }
    await transition(em, orderId, 'shipped', actor, { reason: shipments.map((s) => `${s.carrier} ${s.trackingNumber}`).join(', ') });
    audit(em, actor, { action: 'fulfilment.shipped', entityType: 'Order', entityId: orderId, after: { shipments } });
    publish(em, 'fulfilment', 'shipment.created', { orderId, number: o.number, shipments });
    await enqueueNotification(em, { orderId, template: 'order_shipped' });
    return { orderId, number: o.number, shipments };
  });
  return result;
}

const SHIPMENT_ORDER: Record<ShipmentStatus, number> = { label_created: 0, in_transit: 1, out_for_delivery: 2, exception: 2, delivered: 3, returned: 4 };

/**
 * A carrier's tracking update (API) or one entered by hand. Repeats are ignored; a delivered
 * shipment is closed; when every shipment of the order is delivered, the order is delivered too.
 */
export async function recordTrackingEvent(orm: MikroORM, shipmentRef: string, raw: unknown, source: string, actor: Actor) {
  const parsed = TrackingEventInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  return orm.em.fork().transactional(async (em) => {
    // A tracking number first (some carriers' are all digits), else a shipment id.
    const asId = parseId(shipmentRef) ?? -1;
    const s = await db(em)
      .selectFrom('shipment')
      .select(['id', 'order_id', 'status', 'tracking_number'])
      .where((eb) => eb.or([eb('tracking_number', '=', shipmentRef), eb('id', '=', asId)]))
      .orderBy((eb) => eb('tracking_number', '=', shipmentRef), 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
    if (!s) throw new DomainError(404, 'not_found', `No shipment ${shipmentRef}.`);
    const occurredAt = input.occurredAt ? new Date(input.occurredAt) : new Date();
    const dup = await db(em)
      .selectFrom('shipment_event')
      .select('id')
      .where('shipment_id', '=', s.id)
      .where('status', '=', input.status)
      .where('occurred_at', '=', occurredAt)
      .executeTakeFirst();
    if (dup) return { shipmentId: s.id, status: s.status, duplicate: true };
    if (s.status === 'delivered' && input.status !== 'returned')
      throw new DomainError(409, 'shipment_closed', `Shipment ${s.tracking_number} was delivered already.`, { params: { tracking: s.tracking_number } });
    await db(em)
      .insertInto('shipment_event')
      .values({
        shipment_id: s.id,
        status: input.status,
        description: input.description ?? null,
        location: input.location ?? null,
        occurred_at: occurredAt,
        source,
        created_at: sql`now()`,
      })
      .execute();
    // Late-arriving older events are kept in the history but do not move the status backwards.
    const next = SHIPMENT_ORDER[input.status] >= SHIPMENT_ORDER[s.status] ? input.status : s.status;
    await db(em)
      .updateTable('shipment')
      .set((eb) => (next === 'delivered' ? { status: next, delivered_at: eb.fn.coalesce('delivered_at', eb.val(occurredAt)) } : { status: next }))
      .where('id', '=', s.id)
      .execute();
    audit(em, actor, {
      action: 'shipment.tracking',
      entityType: 'Order',
      entityId: s.order_id,
      before: { status: s.status },
      after: { shipmentId: s.id, status: next, event: input.status, location: input.location ?? null },
    });
    publish(em, 'fulfilment', 'shipment.updated', { orderId: s.order_id, shipmentId: s.id, status: next });
    if (next === 'delivered') {
      const open = await db(em)
        .selectFrom('shipment')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('order_id', '=', s.order_id)
        .where('status', '<>', 'delivered')
        .executeTakeFirstOrThrow();
      const o = await db(em).selectFrom('sales_order').select('status').where('id', '=', s.order_id).executeTakeFirstOrThrow();
      if (Number(open.n) === 0 && o.status === 'shipped') {
        await transition(em, s.order_id, 'delivered', actor, { reason: 'carrier confirmed delivery' });
        await enqueueNotification(em, { orderId: s.order_id, template: 'order_delivered' });
      }
    }
    return { shipmentId: s.id, status: next, duplicate: false };
  });
}

/** The order's pick lists that are not cancelled (id, number, status, warehouse). */
export async function activePickListsOf(em: EntityManager, orderId: number) {
  return db(em)
    .selectFrom('pick_list as pk')
    .innerJoin('warehouse as w', 'w.id', 'pk.warehouse_id')
    .select(['pk.id', 'pk.number', 'pk.status', 'w.code as warehouse'])
    .where('pk.status', '<>', 'cancelled')
    .where(({ exists, selectFrom }) =>
      exists(selectFrom('pick_list_line as pl').select(sql.lit(1).as('one')).whereRef('pl.pick_list_id', '=', 'pk.id').where('pl.order_id', '=', orderId)),
    )
    .orderBy('pk.id')
    .execute();
}

/** The order's shipments (tracking number, carrier code, service). */
export async function shipmentsOf(em: EntityManager, orderId: number) {
  const rows = await db(em)
    .selectFrom('shipment as s')
    .innerJoin('carrier as c', 'c.id', 's.carrier_id')
    .select(['s.id', 's.tracking_number', 'c.code as carrier', 's.service'])
    .where('s.order_id', '=', orderId)
    .orderBy('s.id')
    .execute();
  return rows.map((s) => ({ id: s.id, trackingNumber: s.tracking_number, carrier: s.carrier, service: s.service }));
}

/**
 * Cancels the order's pick lists still open or being picked (a list shared with other orders loses
 * only this order's lines) and moves the order back to allocated, in em's transaction (order locked by the caller).
 */
export async function cancelOrderPickLists(em: EntityManager, orderId: number, status: string, actor: Actor, reason: string) {
  const ids = (await db(em).selectFrom('pick_list_line').select('pick_list_id as id').distinct().where('order_id', '=', orderId).execute()).map((r) => r.id);
  const lists = ids.length
    ? await db(em)
        .selectFrom('pick_list')
        .select(['id', 'number', 'status'])
        .where('id', 'in', ids)
        .where('status', 'in', ['open', 'picking'])
        .orderBy('id')
        .forUpdate()
        .execute()
    : [];
  const cancelled: string[] = [];
  const trimmed: string[] = [];
  for (const l of lists) {
    const { n } = await db(em)
      .selectFrom('pick_list_line')
      .select((eb) => eb.fn.count<string>('order_id').distinct().as('n'))
      .where('pick_list_id', '=', l.id)
      .executeTakeFirstOrThrow();
    if (Number(n) <= 1) {
      await db(em)
        .updateTable('pick_list')
        .set({ status: 'cancelled', completed_at: sql`now()` })
        .where('id', '=', l.id)
        .execute();
      cancelled.push(l.number);
    } else {
      await db(em).deleteFrom('pick_list_line').where('pick_list_id', '=', l.id).where('order_id', '=', orderId).execute();
      trimmed.push(l.number);
    }
  }
  if (lists.length) {
    if (status === 'picking') await transition(em, orderId, 'allocated', actor, { reason });
    audit(em, actor, { action: 'fulfilment.pick_lists_cancelled', entityType: 'Order', entityId: orderId, after: { cancelled, trimmed } });
    publish(em, 'fulfilment', 'pick_lists.cancelled', { orderId, cancelled, trimmed });
  }
  return { cancelled, trimmed };
}
