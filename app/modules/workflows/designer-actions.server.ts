// Server side of the flow designer's action: what a simulation runs on (the trigger payload and the stock).
import { parseJson } from '../../lib/boundary.ts';
import { getOrder } from '../orders/queries.server.ts';
import { loadStockOptions } from '../inventory/reservations.server.ts';
import type { StockOption } from '../inventory/routing.ts';
import { productIdsBySku } from './queries.server.ts';

const asObject = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/**
 * The trigger payload and stock for a simulation: from a real order (as the dispatcher would see it:
 * the order itself for an order flow, a return of all its lines for a return flow), or pasted JSON.
 */
export async function simulationInput(em: Parameters<typeof getOrder>[0], form: FormData, triggerEvent: string) {
  const number = String(form.get('order') ?? '').trim();
  if (number) {
    const order = await getOrder(em, number);
    if (!order) return { error: { code: 'unknown_order', params: { number } } } as const;
    if (triggerEvent === 'return.requested') {
      const lines = order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
      const payload = {
        orderId: order.id,
        number: order.number,
        reason: 'other',
        resolution: 'refund',
        lines,
        currency: order.currency,
        amountMinor: order.lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0),
      };
      return { payload, stock: [] as StockOption[], demand: undefined, orderNumber: order.number, event: triggerEvent };
    }
    const ids = await productIdsBySku(
      em,
      order.lines.map((l) => l.sku),
    );
    const stock = await loadStockOptions(em, [...new Set(ids.values())]);
    const address = asObject(order.shippingAddress) ?? {};
    const payload: Record<string, unknown> = {
      orderId: order.id,
      number: order.number,
      channel: order.channel.code,
      status: order.status,
      currency: order.currency,
      total: order.totals.total / 100,
      totalMinor: order.totals.total,
      paymentMethod: order.paymentMethod,
      deliveryMethod: order.deliveryMethod,
      customerId: order.customer.id,
      holdReasons: order.holdReasons,
      lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      shippingAddress: address,
    };
    const demand = order.lines.flatMap((l) => (ids.has(l.sku) ? [{ productId: ids.get(l.sku)!, sku: l.sku, quantity: l.quantity }] : []));
    return { payload, stock, demand, orderNumber: order.number, event: 'order.created' } as const;
  }
  const parsedPayload = parseJson(String(form.get('payload') ?? '') || '{}');
  const payload = parsedPayload.ok ? asObject(parsedPayload.value) : null;
  if (!payload) return { error: { code: 'invalid_json' } } as const;
  const lines = Array.isArray(payload.lines)
    ? (payload.lines as unknown[]).map(asObject).filter((l): l is Record<string, unknown> => !!l && typeof l.sku === 'string')
    : [];
  const ids = await productIdsBySku(
    em,
    lines.map((l) => String(l.sku)),
  );
  const stock = await loadStockOptions(em, [...new Set(ids.values())]);
  return { payload, stock, demand: undefined, orderNumber: null, event: undefined } as const;
}
