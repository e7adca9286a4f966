// A product as the API answers it (GET /api/v1/products/:code).
import { z } from 'zod';
import type { Matches } from '../../lib/openapi/describe.ts';
import type { ProductLookup } from './queries.server.ts';

export const ProductResource = z.strictObject({
  sku: z.string(),
  barcode: z.string(),
  name: z.string(),
  unitPrice: z.number().int().describe('Minor units of `currency`, converted through the exchange rates.'),
  currency: z.string(),
  atp: z.number().int().describe('Available to promise across every warehouse.'),
});

export type ProductAnswer = Matches<ProductLookup, z.output<typeof ProductResource>>;
