import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, convertMinor, currencyExponent, isCurrency, majorToMinor, minorToMajor, toBaseMinor } from './money.ts';

describe('money', () => {
  it("knows each currency's minor unit", () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('TWD')).toBe(2);
  });
  it('accepts only real ISO 4217 codes', () => {
    expect(isCurrency('CNY')).toBe(true);
    expect(isCurrency('XXQ')).toBe(false);
    expect(isCurrency('usd')).toBe(false);
  });
  it('converts to the base currency across exponents', () => {
    expect(toBaseMinor(71_200, 'CNY', 'USD', 7.12)).toBe(10_000);
    expect(toBaseMinor(15_120, 'JPY', 'USD', 151.2)).toBe(10_000);
    expect(toBaseMinor(123, 'USD', 'USD', 1)).toBe(123);
  });
  it('converts between two non-base currencies', () => {
    expect(convertMinor(10_000, 'USD', 'TWD', 1, 32.1)).toBe(321_000);
    expect(convertMinor(10_000, 'USD', 'JPY', 1, 151.2)).toBe(15_120);
    expect(convertMinor(71_200, 'CNY', 'EUR', 7.12, 0.92)).toBe(9_200);
  });
});

describe('decimal-safe money', () => {
  it('rounds half away from zero, on exact decimals (no float error)', () => {
    expect(toBaseMinor(-5, 'USD', 'EUR', 2)).toBe(-3); // -2.5 cents
    expect(toBaseMinor(5, 'USD', 'EUR', 2)).toBe(3);
    expect(convertMinor(1005, 'EUR', 'JPY', 1, 0.1)).toBe(1); // 10.05 EUR × 0.1 = 1.005 JPY → 1
    expect(convertMinor(1005, 'JPY', 'EUR', 1, 1)).toBe(100_500);
    expect(toBaseMinor(100_500, 'EUR', 'JPY', '100')).toBe(10); // 1005.00 EUR / 100 = 10.05 JPY → 10
    expect(toBaseMinor(1, 'USD', 'EUR', '0.4')).toBe(3); // 2.5 cents → 3
  });

  it('converts sign-symmetrically and monotonically, within half a unit of the exact value', () => {
    const rate = fc.integer({ min: 1, max: 10_000_000 }).map((n) => n / 10_000); // 0.0001 … 1000
    const currency = fc.constantFrom('USD', 'EUR', 'JPY', 'CNY', 'TWD', 'KWD');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), fc.integer({ min: 0, max: 1_000 }), currency, currency, rate, rate, (a, d, from, to, rf, rt) => {
        const x = convertMinor(a, from, to, rf, rt);
        if (from === to) {
          expect(x).toBe(a);
          return;
        } // one currency, one rate: nothing to convert
        expect(convertMinor(-a, from, to, rf, rt) + 0).toBe(x === 0 ? 0 : -x);
        expect(convertMinor(a + d, from, to, rf, rt)).toBeGreaterThanOrEqual(x);
        const exact = (a / 10 ** currencyExponent(from) / rf) * rt * 10 ** currencyExponent(to);
        expect(Math.abs(x - exact)).toBeLessThanOrEqual(0.5 + Math.abs(exact) * 1e-12);
      }),
    );
  });

  it('splits a total into parts that add up to the cent, in proportion, each within one unit of its share', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    expect(allocate(5, [0, 0])).toEqual([3, 2]);
    expect(allocate(1000, [3000, 1000])).toEqual([750, 250]);
    expect(allocate(7, [])).toEqual([]);
    expect(() => allocate(1.5, [1])).toThrow(RangeError);
    expect(() => allocate(1, [-1])).toThrow(RangeError);
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 30 }),
        (total, weights) => {
          const parts = allocate(total, weights);
          expect(parts.reduce((a, p) => a + p, 0)).toBe(total);
          const sum = weights.reduce((a, w) => a + w, 0);
          parts.forEach((p, i) => {
            const share = sum ? (total * weights[i]) / sum : total / weights.length;
            expect(Math.abs(p - share)).toBeLessThan(1 + 1e-9 * Math.abs(total));
            if (weights[i] === 0 && sum > 0) expect(p).toBe(0);
          });
        },
      ),
    );
  });
});

describe('major units as typed', () => {
  it('reads decimal text exactly, refusing what is not a plain amount in the currency', () => {
    expect(majorToMinor('12.50', 'USD')).toBe(1250);
    expect(majorToMinor(' 0.29 ', 'USD')).toBe(29);
    expect(majorToMinor('12', 'USD')).toBe(1200);
    expect(majorToMinor('1250', 'JPY')).toBe(1250);
    expect(majorToMinor('1.5', 'JPY')).toBeNull();
    expect(majorToMinor('1.005', 'USD')).toBeNull();
    for (const bad of ['', 'abc', '-5', '1e3', '1,50', '.5', '12.']) expect(majorToMinor(bad, 'USD'), bad).toBeNull();
  });

  it('writes minor units back as major-unit text', () => {
    expect(minorToMajor(1250, 'USD')).toBe('12.50');
    expect(minorToMajor(1250, 'JPY')).toBe('1250');
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e12 }), (n) => majorToMinor(minorToMajor(n, 'USD'), 'USD') === n));
  });
});
