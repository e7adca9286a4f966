import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json } from '../lib/api.server.ts';
import { problem } from '../lib/problem.ts';
import { inventoryLevels } from '../modules/inventory/queries.server.ts';

/** GET /api/v1/inventory?sku=A&sku=B (or sku=A,B): onHand, reserved and atp per warehouse, with totals. */
export const loader = ({ request, context }: LoaderFunctionArgs) =>
  api(async () => {
    await requireApi(request, context, 'inventory.view');
    const skus = new URL(request.url).searchParams
      .getAll('sku')
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    if (skus.length === 0 || skus.length > 100)
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
