// Which supplier a purchase order for one product goes to, from what each active supplier offers
// for it (SupplierProduct): the product's preferred supplier when it has one; else the lowest unit
// cost, compared in the base currency through the exchange rates; among equal costs the shortest
// lead time; then the supplier code, so the choice never depends on row order. Pure.
import { currencyExponent } from '../../lib/money.ts';

export interface SupplierOffer {
  supplierId: number;
  supplier: string;
  currency: string;
  /** In minor units of `currency`; null or 0: not known (to be quoted). */
  unitCostMinor: number | null;
  leadTimeDays: number;
  preferred: boolean;
  /** Units of `currency` per one unit of the base currency; null when there is no rate. */
  ratePerBase: number | null;
}

export type SupplierChoiceReason = 'preferred' | 'only_supplier' | 'lowest_cost' | 'shortest_lead_time';

export interface SupplierChoice {
  offer: SupplierOffer;
  reason: SupplierChoiceReason;
  /** Every offer, best first, with its cost in base-currency units when it could be compared. */
  ranked: (SupplierOffer & { costInBase: number | null })[];
}

/** The cost of one unit in base-currency major units, or null when it is unknown or has no rate. */
function costInBase(o: SupplierOffer): number | null {
  if (!o.unitCostMinor || o.unitCostMinor <= 0 || !o.ratePerBase || o.ratePerBase <= 0) return null;
  return o.unitCostMinor / 10 ** currencyExponent(o.currency) / o.ratePerBase;
}

/** The best offer and why; null when there is none. */
export function chooseSupplier(offers: SupplierOffer[]): SupplierChoice | null {
  if (!offers.length) return null;
  // All in one currency: compare the prices as they are (no rate needed).
  const oneCurrency = offers.every((o) => o.currency === offers[0].currency);
  const cost = (o: SupplierOffer) => (oneCurrency ? (o.unitCostMinor && o.unitCostMinor > 0 ? o.unitCostMinor : null) : costInBase(o));
  const keys = new Map(offers.map((o) => [o, cost(o)]));
  const ranked = [...offers]
    .sort((a, b) => {
      const ka = keys.get(a) ?? null,
        kb = keys.get(b) ?? null;
      if (ka !== kb) {
        if (ka === null) return 1;
        if (kb === null) return -1;
        return ka - kb;
      }
      return a.leadTimeDays - b.leadTimeDays || (a.supplier < b.supplier ? -1 : a.supplier > b.supplier ? 1 : 0);
    })
    .map((o) => ({ ...o, costInBase: costInBase(o) }));
  const preferred = ranked.find((o) => o.preferred);
  if (preferred) return { offer: preferred, reason: 'preferred', ranked };
  const [best, next] = ranked;
  const sameCost = next && cost(best) === cost(next);
  const reason: SupplierChoiceReason = !next
    ? 'only_supplier'
    : !sameCost
      ? 'lowest_cost'
      : best.leadTimeDays < next.leadTimeDays
        ? 'shortest_lead_time'
        : 'lowest_cost';
  return { offer: best, reason, ranked };
}
