// Realistic trigger payloads per event (as the dispatcher enriches them), to start a binding filter
// test or a what-if simulation from.
import type { BindingEvent } from '../../../entities/workflows.ts';

export const EXAMPLE_PAYLOADS: Record<BindingEvent, Record<string, unknown>> = {
  'order.created': {
    orderId: 1,
    number: 'SO-000001',
    channel: 'web',
    status: 'pending',
    currency: 'GBP',
    total: 129.5,
    totalMinor: 12950,
    paymentMethod: 'test-card',
    deliveryMethod: 'standard',
    customerId: 1,
    holdReasons: [],
    lines: [{ sku: 'MUG-001', quantity: 2 }],
    shippingAddress: { city: 'London', country: 'GB', lat: 51.5072, lng: -0.1276 },
  },
  'return.requested': {
    returnId: 1,
    rma: 'RMA-000001',
    orderId: 1,
    number: 'SO-000001',
    reason: 'damaged',
    resolution: 'refund',
    amountMinor: 4500,
    currency: 'GBP',
    lines: [{ sku: 'MUG-001', quantity: 1 }],
  },
  'stock.low': {
    levelId: 1,
    sku: 'MUG-001',
    warehouse: 'LON',
    productId: 1,
    warehouseId: 1,
    onHand: 4,
    reserved: 2,
    atp: 2,
    reorderPoint: 5,
    reorderQuantity: 50,
  },
  schedule: { at: '2026-01-01T06:00:00.000Z' },
  manual: { by: 'ops@example.com' },
};
