import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json } from '../lib/api.server.ts';
import { problem } from '../lib/problem.ts';
import { inventoryLevels } from '../modules/inventory/queries.server.ts';
import { z } from 'zod';
import type { ApiOperation } from '../lib/openapi/describe.ts';
import { InventoryResource } from '../modules/inventory/resources.ts';

/** 1 to 100 SKUs, as `sku=A&sku=B` or `sku=A,B`. */
const SkuList = z.array(z.string().min(1)).min(1).max(100);

/** GET /api/v1/inventory?sku=A&sku=B (or sku=A,B): onHand, reserved and atp per warehouse, with totals. */
export const loader = ({ request, context }: LoaderFunctionArgs) =>
  api(async () => {
    await requireApi(request, context, 'inventory.view');
    const skus = new URL(request.url).searchParams
      .getAll('sku')
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    if (!SkuList.safeParse(skus).success)
      return problem(422, 'validation_failed', {
        field: 'sku',
        detail: 'Give 1 to 100 SKUs.',
        errors: [{ field: 'sku', code: 'required', messageKey: 'errors.validation.required' }],
      });
    const levels = await inventoryLevels(context.orm.em.fork(), { skus });
    const items = skus.map((sku) => {
      const rows = levels.filter((l) => l.sku === sku);
      return {
        sku,
        known: rows.length > 0,
        onHand: rows.reduce((n, r) => n + r.onHand, 0),
        reserved: rows.reduce((n, r) => n + r.reserved, 0),
        atp: rows.reduce((n, r) => n + r.atp, 0),
        inbound: rows.reduce((n, r) => n + r.inbound, 0),
        warehouses: rows.map((r) => ({
          warehouse: r.warehouse,
          onHand: r.onHand,
          reserved: r.reserved,
          atp: r.atp,
          inbound: r.inbound,
          nextInboundAt: r.nextInboundAt,
          reorderPoint: r.reorderPoint,
          low: r.low,
        })),
      };
    });
    return json({ items });
  });

export const openapi: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/inventory',
    operationId: 'getInventory',
    summary: 'Stock levels',
    description: 'On hand, reserved, available to promise and inbound per warehouse, with totals, for 1 to 100 SKUs.',
    tags: ['Inventory'],
    auth: 'apiKey',
    permission: 'inventory.view',
    query: z.object({ sku: SkuList.describe('SKUs, repeated (`sku=A&sku=B`) or comma-separated (`sku=A,B`).') }),
    responses: { 200: { description: 'One item per SKU asked for, in the order asked.', schema: InventoryResource } },
    problems: { 422: ['validation_failed'] },
    idempotent: false,
  },
];
