import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json } from '../lib/api.server.ts';
import { isCurrency } from '../lib/money.ts';
import { problem } from '../lib/problem.ts';
import { lookupProduct } from '../modules/catalog/queries.server.ts';
import { z } from 'zod';
import type { ApiOperation } from '../lib/openapi/describe.ts';
import { ProductResource } from '../modules/catalog/resources.ts';

/** GET /api/v1/products/:code?currency=USD — a product by SKU or barcode, priced in the currency. */
export const loader = ({ request, context, params }: LoaderFunctionArgs) =>
  api(async () => {
    await requireApi(request, context, 'orders.view');
    const currency = (new URL(request.url).searchParams.get('currency') ?? context.config.BASE_CURRENCY).toUpperCase();
    if (!isCurrency(currency))
      return problem(422, 'validation_failed', {
        field: 'currency',
        errors: [{ field: 'currency', code: 'invalid_value', messageKey: 'errors.validation.invalid_value' }],
      });
    const product = await lookupProduct(context.orm.em.fork(), (params.code ?? '').trim(), currency);
    return product
      ? json(product)
      : problem(404, 'unknown_product', { field: 'code', detail: `No product with SKU or barcode ${params.code}.`, params: { code: params.code ?? '' } });
  });

export const openapi: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/products/{code}',
    operationId: 'getProduct',
    summary: 'Look up a product',
    description: 'A product by SKU or barcode (what a scanner sends), priced in `currency` through the exchange rates.',
    tags: ['Catalog'],
    auth: 'apiKey',
    permission: 'orders.view',
    params: z.object({ code: z.string().min(1).describe('SKU or barcode.') }),
    query: z.object({ currency: z.string().length(3).optional().describe('ISO 4217 code; the base currency when absent.') }),
    responses: { 200: { description: 'The product.', schema: ProductResource } },
    problems: { 404: ['unknown_product'], 422: ['validation_failed'] },
    idempotent: false,
  },
];
