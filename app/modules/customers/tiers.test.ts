import { describe, expect, it } from 'vitest';
import { CUSTOMER_TIERS } from '../../../entities/customers.ts';
import { isTier, TIER_RULES, TIERS, tierFor } from './tiers.ts';

const usd = (major: number, orders = 1) => tierFor({ ltvBaseMinor: Math.round(major * 100), orders, baseCurrency: 'USD' });

describe('tierFor', () => {
  it('keeps the tier list equal to the database enum', () => {
    expect([...TIERS]).toEqual([...CUSTOMER_TIERS]);
    for (const r of TIER_RULES) expect(isTier(r.tier)).toBe(true);
  });

  it('applies the value thresholds at their exact boundaries', () => {
    expect(usd(0, 0)).toBe('standard');
    expect(usd(499.99)).toBe('standard');
    expect(usd(500)).toBe('silver');
    expect(usd(1_999.99)).toBe('silver');
    expect(usd(2_000)).toBe('gold');
    expect(usd(4_999.99)).toBe('gold');
    expect(usd(5_000)).toBe('vip');
    expect(usd(1_000_000)).toBe('vip');
  });

  it('makes a frequent buyer VIP by order count alone', () => {
    expect(usd(10, 19)).toBe('standard');
    expect(usd(10, 20)).toBe('vip');
    expect(usd(600, 25)).toBe('vip');
  });

  it('reads thresholds in major units of the base currency, whatever its exponent', () => {
    // JPY has no minor unit: 5,000 yen is 5000 minor units.
    expect(tierFor({ ltvBaseMinor: 499, orders: 1, baseCurrency: 'JPY' })).toBe('standard');
    expect(tierFor({ ltvBaseMinor: 500, orders: 1, baseCurrency: 'JPY' })).toBe('silver');
    expect(tierFor({ ltvBaseMinor: 5_000, orders: 1, baseCurrency: 'JPY' })).toBe('vip');
    // KWD has three decimals: 500.000 KWD is 500000 minor units.
    expect(tierFor({ ltvBaseMinor: 499_999, orders: 1, baseCurrency: 'KWD' })).toBe('standard');
    expect(tierFor({ ltvBaseMinor: 500_000, orders: 1, baseCurrency: 'KWD' })).toBe('silver');
  });

  it('recognises tiers', () => {
    expect(isTier('gold')).toBe(true);
    expect(isTier('platinum')).toBe(false);
    expect(isTier(undefined)).toBe(false);
  });
});
