import { describe, expect, it } from 'vitest';
import { chooseSupplier, type SupplierOffer } from './supplier-choice.ts';

const offer = (supplier: string, o: Partial<SupplierOffer> = {}): SupplierOffer => ({
  supplierId: supplier.length,
  supplier,
  currency: 'USD',
  unitCostMinor: 1_000,
  leadTimeDays: 10,
  preferred: false,
  ratePerBase: 1,
  ...o,
});
const pick = (offers: SupplierOffer[]) => {
  const c = chooseSupplier(offers);
  return c && { supplier: c.offer.supplier, reason: c.reason, order: c.ranked.map((r) => r.supplier) };
};

describe('choosing the supplier of a purchase order', () => {
  it('has nobody to choose without offers', () => {
    expect(chooseSupplier([])).toBeNull();
  });

  it('takes the only supplier', () => {
    expect(pick([offer('ACME')])).toEqual({ supplier: 'ACME', reason: 'only_supplier', order: ['ACME'] });
  });

  it('takes the product’s preferred supplier, even when another is cheaper and quicker', () => {
    expect(pick([offer('CHEAP', { unitCostMinor: 500, leadTimeDays: 2 }), offer('PREF', { unitCostMinor: 900, preferred: true })])).toEqual({
      supplier: 'PREF',
      reason: 'preferred',
      order: ['CHEAP', 'PREF'],
    });
  });

  it('else the lowest unit cost, whatever the lead time', () => {
    expect(pick([offer('FAST', { unitCostMinor: 1_200, leadTimeDays: 2 }), offer('LOW', { unitCostMinor: 1_100, leadTimeDays: 30 })])).toEqual({
      supplier: 'LOW',
      reason: 'lowest_cost',
      order: ['LOW', 'FAST'],
    });
  });

  it('compares costs in other currencies through the base currency', () => {
    // 70.00 CNY at 7.1 CNY per USD is 9.86 USD: cheaper than 10.00 USD; 75.00 CNY (10.56 USD) is not.
    const usd = offer('ACME', { unitCostMinor: 1_000 });
    expect(pick([usd, offer('SZ', { currency: 'CNY', unitCostMinor: 7_000, ratePerBase: 7.1 })])).toMatchObject({ supplier: 'SZ', reason: 'lowest_cost' });
    expect(pick([usd, offer('SZ', { currency: 'CNY', unitCostMinor: 7_500, ratePerBase: 7.1 })])).toMatchObject({ supplier: 'ACME', reason: 'lowest_cost' });
    // Minor units differ by currency: 1,500 JPY (no decimals) at 150 per USD is 10.00 USD, 1,400 JPY is 9.33 USD.
    expect(pick([usd, offer('TOKYO', { currency: 'JPY', unitCostMinor: 1_400, ratePerBase: 150 })])).toMatchObject({ supplier: 'TOKYO' });
  });

  it('puts offers whose cost cannot be compared (unknown, or no exchange rate) after those that can', () => {
    expect(
      pick([
        offer('NORATE', { currency: 'CNY', unitCostMinor: 100, ratePerBase: null }),
        offer('QUOTE', { unitCostMinor: 0, leadTimeDays: 1 }),
        offer('ACME', { unitCostMinor: 5_000 }),
      ]),
    ).toEqual({ supplier: 'ACME', reason: 'lowest_cost', order: ['ACME', 'QUOTE', 'NORATE'] });
  });

  it('among equal costs takes the shortest lead time, then the supplier code', () => {
    expect(pick([offer('SLOW', { leadTimeDays: 20 }), offer('QUICK', { leadTimeDays: 5 })])).toEqual({
      supplier: 'QUICK',
      reason: 'shortest_lead_time',
      order: ['QUICK', 'SLOW'],
    });
    expect(pick([offer('B'), offer('A')])).toEqual({ supplier: 'A', reason: 'lowest_cost', order: ['A', 'B'] });
    expect(pick([offer('B', { unitCostMinor: null, leadTimeDays: 9 }), offer('A', { unitCostMinor: null })])).toEqual({
      supplier: 'B',
      reason: 'shortest_lead_time',
      order: ['B', 'A'],
    });
  });
});
