import { describe, expect, it } from 'vitest';
import { convertMinor, currencyExponent, isCurrency, toBaseMinor } from './money.ts';

describe('money', () => {
  it('knows each currency\'s minor unit', () => {
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
