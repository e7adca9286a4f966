// Stock for an order that a flow reserves or routes after intake (intake reserves its own in one
// statement): routing on locked stock, conditional reservation, the order's warehouse, and events.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrderStatus } from '../../../entities/constants.ts';
import { auditAndPublishMany, type Actor } from '../../lib/audit.server.ts';
import { DomainError } from '../../lib/errors.ts';
import type { OutboxRow } from '../../lib/outbox.server.ts';
import { loadOrderHead, orderDestination, orderLines, setOrderWarehouse } from '../orders/service.server.ts';
import { insertReservations, loadStockOptions, reservationsOf, reserveAllocations, type Reserved } from './reservations.server.ts';
import { planRouting, type Allocation } from './routing.ts';

/** Statuses after which stock is no longer held for the order (gone out, or given up). */
const PAST_RESERVING: readonly OrderStatus[] = ['shipped', 'delivered', 'completed', 'returned', 'partially_returned', 'cancelled'];
export const SHIPPED: readonly OrderStatus[] = ['shipped', 'delivered', 'completed', 'returned', 'partially_returned'];

/** The events of taking stock: stock.reserved for the order, and stock.low for each level that just became low. */
function reservedEvents(orderId: number, allocations: readonly Allocation[], reserved: readonly Reserved[]): OutboxRow[] {
  return [
    {
      topic: 'inventory',
      type: 'stock.reserved',
      payload: {
        orderId,
        levels: reserved.map((r) => ({ levelId: r.levelId, quantity: allocations.filter((a) => a.levelId === r.levelId).reduce((n, a) => n + a.quantity, 0) })),
      },
    },
    ...lowStockEvents(allocations, reserved),
  ];
}

export const lowStockEvents = (allocations: readonly Allocation[], reserved: readonly Reserved[]): OutboxRow[] =>
  reserved
    .filter((x) => x.becameLow)
    .map((r) => {
      const a = allocations.find((x) => x.levelId === r.levelId)!;
      return { topic: 'inventory' as const, type: 'stock.low', payload: { levelId: r.levelId, sku: a.sku, warehouse: a.warehouseCode } };
    });

/** The first line of each product, where its reservation is recorded. */
export function firstLineByProduct(lines: readonly { id: number; product_id: number }[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const l of lines) if (!out.has(l.product_id)) out.set(l.product_id, l.id);
  return out;
}

export type ReserveOutcome =
  | { ok: true; reserved: boolean; reservations: { sku: string; warehouse: string; quantity: number }[]; policy?: string; shipments?: number }
  | { ok: false; shortages: unknown };

/**
 * Holds stock for every line: nothing to do when the order already holds it (intake reserves, or an
 * earlier attempt did); else routes on locked stock and reserves, or reports the shortages.
 */
export async function reserveOrder(em: EntityManager, orderId: number, actor: Actor): Promise<ReserveOutcome> {
  const o = await loadOrderHead(em, orderId, true);
  if (PAST_RESERVING.includes(o.status))
    throw new DomainError(409, 'order_closed', `Order ${o.number} is ${o.status}; nothing to reserve.`, { params: { status: o.status } });
  const held = await reservationsOf(em, orderId, ['active', 'consumed']);
  if (held.length) return { ok: true, reserved: false, reservations: held.map((r) => ({ sku: r.sku, warehouse: r.warehouse, quantity: r.quantity })) };
  const lines = await orderLines(em, orderId);
  const stock = await loadStockOptions(em, [...new Set(lines.map((l) => l.product_id))], { lock: true });
  const routing = planRouting(
    orderDestination(o),
    lines.map((l) => ({ productId: l.product_id, sku: l.sku, quantity: l.quantity })),
    stock,
  );
  if (!routing.ok) return { ok: false, shortages: routing.shortages };
  const allocations = routing.plan.allocations;
  const reserved = await reserveAllocations(em, allocations);
  await insertReservations(em, orderId, allocations, firstLineByProduct(lines));
  if (routing.plan.shipments === 1 && o.warehouse_id === null) await setOrderWarehouse(em, orderId, allocations[0].warehouseId);
  const reservations = allocations.map((a) => ({ sku: a.sku, warehouse: a.warehouseCode, quantity: a.quantity }));
  await auditAndPublishMany(
    em,
    [{ actor, entry: { action: 'inventory.reserved', entityType: 'Order', entityId: orderId, after: { reservations, policy: routing.plan.policy } } }],
    reservedEvents(orderId, allocations, reserved),
  );
  return { ok: true, reserved: true, reservations, policy: routing.plan.policy, shipments: routing.plan.shipments };
}

/**
 * Settles which warehouse ships the order: where its active reservations are, else the routing plan
 * on current stock (read only). Records the warehouse on the order when one ships it all.
 */
export async function routeOrder(em: EntityManager, orderId: number, actor: Actor) {
  const o = await loadOrderHead(em, orderId, true);
  const active = await reservationsOf(em, orderId, ['active']);
  let warehouses: { id: number; code: string }[];
  let extra: Record<string, unknown>;
  if (active.length) {
    warehouses = [...new Map(active.map((r) => [r.warehouse_id, { id: r.warehouse_id, code: r.warehouse }])).values()];
    extra = { source: 'reservations' };
  } else {
    const lines = await orderLines(em, orderId);
    const routing = planRouting(
      orderDestination(o),
      lines.map((l) => ({ productId: l.product_id, sku: l.sku, quantity: l.quantity })),
      await loadStockOptions(em, [...new Set(lines.map((l) => l.product_id))]),
    );
    if (!routing.ok) return { routed: false as const, shortages: routing.shortages };
    warehouses = [...new Map(routing.plan.allocations.map((a) => [a.warehouseId, { id: a.warehouseId, code: a.warehouseCode }])).values()];
    extra = { source: 'plan', policy: routing.plan.policy, considered: routing.plan.considered };
  }
  if (warehouses.length === 1 && o.warehouse_id !== warehouses[0].id && !SHIPPED.includes(o.status)) {
    await setOrderWarehouse(em, orderId, warehouses[0].id);
    await auditAndPublishMany(
      em,
      [
        {
          actor,
          entry: {
            action: 'order.routed',
            entityType: 'Order',
            entityId: orderId,
            before: { warehouseId: o.warehouse_id },
            after: { warehouseId: warehouses[0].id, warehouse: warehouses[0].code },
          },
        },
      ],
      [{ topic: 'orders', type: 'order.routed', payload: { orderId, number: o.number, warehouse: warehouses[0].code } }],
    );
  }
  return { routed: true as const, warehouses: warehouses.map((w) => w.code), shipments: warehouses.length, ...extra };
}
