import { describe, expect, it } from 'vitest';
import { formatDate, formatMoney, formatNumber } from './format.ts';

describe('formatMoney', () => {
  it("reads minor units with the currency's own exponent", () => {
    expect(formatMoney(123456, 'USD', 'en')).toBe('$1,234.56');
    expect(formatMoney(1234, 'JPY', 'en')).toBe('¥1,234');
    expect(formatMoney(-500, 'EUR', 'en')).toBe('-€5.00');
  });

  it("uses the reader's locale", () => {
    expect(formatMoney(123456, 'CNY', 'zh-CN')).toBe('¥1,234.56');
    expect(formatMoney(123456, 'TWD', 'zh-TW')).toBe('$1,234.56');
    expect(formatMoney(123456, 'USD', 'zh-CN')).toBe('US$1,234.56');
  });
});

describe('formatNumber and dates', () => {
  it('groups digits per locale', () => {
    expect(formatNumber(1234567, 'en')).toBe('1,234,567');
  });
  it("writes dates in the reader's language", () => {
    const d = new Date('2026-03-05T12:00:00Z');
    expect(formatDate(d, 'en', 'UTC')).toBe('Mar 5, 2026');
    expect(formatDate(d, 'zh-CN', 'UTC')).toBe('2026年3月5日');
    expect(formatDate(d, 'zh-TW', 'UTC')).toBe('2026年3月5日');
  });
});
