import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotOnOrderError, refundValue, type PaidOrder } from './value.ts';

const order = (over: Partial<PaidOrder> = {}): PaidOrder => ({
  lines: [
    { sku: 'A', quantity: 2, unitPrice: 1000 },
    { sku: 'B', quantity: 1, unitPrice: 3000 },
  ],
  discount: 0,
  tax: 0,
  taxIncluded: false,
  ...over,
});

describe('what a return is worth', () => {
  it('is the price paid: list price less its share of the discount, plus its share of tax added on top', () => {
    expect(refundValue(order(), [], [{ sku: 'A', quantity: 1 }])).toBe(1000);
    // 500 off a 5,000 order: A's two units carry 200 of it, B 300.
    expect(refundValue(order({ discount: 500 }), [], [{ sku: 'A', quantity: 2 }])).toBe(1800);
    expect(refundValue(order({ discount: 500 }), [], [{ sku: 'B', quantity: 1 }])).toBe(2700);
    // Tax on top is refunded with the goods; tax inside the prices is already in them.
    expect(refundValue(order({ tax: 400 }), [], [{ sku: 'B', quantity: 1 }])).toBe(3240);
    expect(refundValue(order({ tax: 400, taxIncluded: true }), [], [{ sku: 'B', quantity: 1 }])).toBe(3000);
    expect(() => refundValue(order(), [], [{ sku: 'A', quantity: 3 }])).toThrow(NotOnOrderError);
    expect(() => refundValue(order(), [{ sku: 'A', quantity: 2 }], [{ sku: 'A', quantity: 1 }])).toThrow(NotOnOrderError);
  });

  it('returning every unit, in any number of RMAs, gives back exactly what the goods cost, never a cent more', () => {
    const line = fc.record({ sku: fc.constantFrom('A', 'B', 'C'), quantity: fc.integer({ min: 1, max: 7 }), unitPrice: fc.integer({ min: 1, max: 100_000 }) });
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        (lines, d, t, taxIncluded, cuts) => {
          const goods = lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0);
          const o: PaidOrder = { lines, discount: d % (goods + 1), tax: t % 100_000, taxIncluded };
          const paidForGoods = goods - o.discount + (taxIncluded ? 0 : o.tax);
          // Every unit, returned one RMA after another in pieces.
          const units = lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku));
          const rmas: { sku: string; quantity: number }[][] = [];
          let at = 0;
          for (const c of [...cuts, units.length]) {
            const end = Math.min(units.length, at + 1 + (c % 4));
            if (at >= end) break;
            rmas.push(units.slice(at, end).map((sku) => ({ sku, quantity: 1 })));
            at = end;
          }
          if (at < units.length) rmas.push(units.slice(at).map((sku) => ({ sku, quantity: 1 })));
          let refunded = 0;
          const earlier: { sku: string; quantity: number }[] = [];
          for (const rma of rmas) {
            const v = refundValue(o, earlier, rma);
            expect(v).toBeGreaterThanOrEqual(0);
            refunded += v;
            earlier.push(...rma);
          }
          expect(refunded).toBe(paidForGoods);
        },
      ),
    );
  });
});
