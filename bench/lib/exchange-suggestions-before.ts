// The replacement-suggestions query as it was before it was measured at scale, kept verbatim as the
// bench's baseline: every active product at or below the price joined to each returned product, a
// stock sum per candidate, then ranked. bench/exchange-suggestions.ts runs it in the same run as the new one.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ExchangeOption } from '../../app/modules/returns/service.server.ts';

export async function exchangeOptionsBefore(em: EntityManager, skus: string[]): Promise<Record<string, ExchangeOption[]>> {
  if (!skus.length) return {};
  const rows = await em.execute<{ for_sku: string; sku: string; name: string }[]>(
    `select for_sku, sku, name from (
       select r.sku as for_sku, c.sku, c.name,
              row_number() over (partition by r.sku order by c.id = r.id desc, c.category is not distinct from r.category desc, c.name, c.sku) as rank
         from product r join product c on c.active and c.currency = r.currency and c.price_minor <= r.price_minor
        where r.sku in (?)
          and (select coalesce(sum(l.on_hand - l.reserved), 0) from inventory_level l where l.product_id = c.id) > 0) x
      where rank <= ? order by for_sku, rank`,
    [skus, 50],
  );
  const out: Record<string, ExchangeOption[]> = Object.fromEntries(skus.map((s) => [s, []]));
  for (const r of rows) out[r.for_sku].push({ sku: r.sku, name: r.name });
  return out;
}
