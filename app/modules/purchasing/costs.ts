// What a unit of a product costs us, in the base currency: the offer of the supplier the Reorder flow would
// buy from (chooseSupplier: the preferred supplier's offer, else the active supplier with the lowest cost in
// the base currency, then the shortest lead time, then the code), converted at the current exchange rate;
// a product no active supplier offers costs what it cost on its last purchase order line. Null when neither
// is known (no offer, an offer without a price, or a currency without a rate).
//
// Intake records this on each order line when the order is taken (OrderLine.unitCostBaseMinor), so margins
// are costed at the offers and rates of the day of the sale, and later price changes leave them alone.
import { exponentTable } from '../customers/queries.server.ts';

/** A base currency code as SQL text (config is validated, but a literal is quoted as one anyway). */
export const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * SQL for one unit of `productRef` in minor units of the base currency (null when unknown). `base` and
 * `baseExp` are SQL expressions for the base currency's code and exponent (placeholders or literals).
 */
export function unitCostSql(productRef: string, base: string, baseExp: string): string {
  const factor = (currency: string, rate: string) =>
    `case when ${currency} = ${base} then 1::numeric when ${rate} > 0 then power(10::numeric, ${baseExp} - coalesce((select e.exp from ${exponentTable()} as e(currency, exp) where e.currency = ${currency}), 2)) / ${rate} end`;
  return `coalesce(
    (select round(nullif(sp.unit_cost_minor, 0) * ${factor('s.currency', 'r.rate_per_base')})
       from supplier_product sp join supplier s on s.id = sp.supplier_id and s.active left join exchange_rate r on r.currency = s.currency
      where sp.product_id = ${productRef}
      order by sp.preferred desc, nullif(sp.unit_cost_minor, 0) * ${factor('s.currency', 'r.rate_per_base')} nulls last, coalesce(sp.lead_time_days, s.lead_time_days), s.code
      limit 1),
    case when not exists (select 1 from supplier_product sp join supplier s on s.id = sp.supplier_id and s.active where sp.product_id = ${productRef}) then
    (select round(pl.unit_cost_minor * ${factor('po.currency', 'r.rate_per_base')})
       from purchase_order_line pl join purchase_order po on po.id = pl.purchase_order_id left join exchange_rate r on r.currency = po.currency
      where pl.product_id = ${productRef} and po.status <> 'cancelled' and pl.unit_cost_minor > 0
      order by po.created_at desc, pl.id desc
      limit 1) end)`;
}
