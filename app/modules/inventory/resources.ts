// Stock as the API answers it (GET /api/v1/inventory).
import { z } from 'zod';

export const InventoryResource = z.strictObject({
  items: z.array(
    z.strictObject({
      sku: z.string(),
      known: z.boolean().describe('false: no warehouse stocks this SKU (every figure is 0).'),
      onHand: z.number().int(),
      reserved: z.number().int(),
      atp: z.number().int().describe('Available to promise: on hand − reserved.'),
      inbound: z.number().int().describe('Open purchase-order units still to arrive.'),
      warehouses: z.array(
        z.strictObject({
          warehouse: z.string(),
          onHand: z.number().int(),
          reserved: z.number().int(),
          atp: z.number().int(),
          inbound: z.number().int(),
          nextInboundAt: z.string().nullable(),
          reorderPoint: z.number().int(),
          low: z.boolean(),
        }),
      ),
    }),
  ),
});
