import type { EntityManager } from '@mikro-orm/postgresql';
import { convertMinor } from '../../lib/money.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError } from '../../lib/errors.ts';

export interface ProductLookup {
  sku: string;
  barcode: string;
  name: string;
  unitPrice: number;
  currency: string;
  atp: number;
}

/**
 * A product by SKU or barcode (what a scanner sends), priced in `currency` through the exchange
 * rates, with its total available-to-promise.
 */
export async function lookupProduct(em: EntityManager, code: string, currency: string): Promise<ProductLookup | null> {
  const [p] = await em.execute<{ sku: string; barcode: string; name: string; price_minor: number; currency: string; atp: string }[]>(
    `select p.sku, p.barcode, p.name, p.price_minor, p.currency,
            coalesce((select sum(l.on_hand - l.reserved) from inventory_level l where l.product_id = p.id), 0) as atp
       from product p where p.active and (p.sku = ? or p.barcode = ?) limit 1`,
    [code, code],
  );
  if (!p) return null;
  let unitPrice = p.price_minor;
  if (currency !== p.currency) {
    const rates = await db(em).selectFrom('exchange_rate').select(['currency', 'rate_per_base']).where('currency', 'in', [p.currency, currency]).execute();
    const rate = (c: string) => Number(rates.find((r) => r.currency === c)?.rate_per_base);
    if (!rate(p.currency) || !rate(currency)) return null;
    unitPrice = convertMinor(p.price_minor, p.currency, currency, rate(p.currency), rate(currency));
  }
  return { sku: p.sku, barcode: p.barcode, name: p.name, unitPrice, currency, atp: Number(p.atp) };
}

/** Active products by SKU (id and name); 409 unknown_sku names the first SKU that is not one. */
export async function activeProducts(em: EntityManager, skus: string[]): Promise<Map<string, { id: number; name: string }>> {
  const rows = skus.length
    ? await db(em).selectFrom('product').select(['id', 'sku', 'name']).where('sku', 'in', skus).where('active', '=', true).execute()
    : [];
  const bySku = new Map(rows.map((p) => [p.sku, { id: p.id, name: p.name }]));
  const missing = skus.filter((sku) => !bySku.has(sku));
  if (missing.length) throw new DomainError(409, 'unknown_sku', `Unknown SKU ${missing.join(', ')}.`, { params: { sku: missing[0] } });
  return bySku;
}
