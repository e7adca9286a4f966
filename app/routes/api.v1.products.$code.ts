import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json } from '../lib/api.server.ts';
import { isCurrency } from '../lib/money.ts';
import { problem } from '../lib/problem.ts';
import { lookupProduct } from '../modules/catalog/queries.server.ts';

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
