import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
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
  const p = await db(em)
    .selectFrom('product as p')
    .select((eb) => [
      'p.sku',
      'p.barcode',
      'p.name',
      'p.price_minor',
      'p.currency',
      eb
        .selectFrom('inventory_level as l')
        .select(sql<string>`coalesce(sum(l.on_hand - l.reserved), 0)`.as('atp'))
        .whereRef('l.product_id', '=', 'p.id')
        .as('atp'),
    ])
    .where('p.active', '=', true)
    .where((eb) => eb.or([eb('p.sku', '=', code), eb('p.barcode', '=', code)]))
    .limit(1)
    .executeTakeFirst();
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
