import { describe, expect, it } from 'vitest';
import { amountReader, toMinorUnits } from './amounts.ts';

const minor = (v: unknown, exponent = 2) => {
  const r = toMinorUnits(v, exponent);
  return r.ok ? r.minor : r.code;
};

describe('toMinorUnits', () => {
  it('reads decimal text exactly, in the currency exponent', () => {
    expect(minor('19.9')).toBe(1990);
    expect(minor('19.90')).toBe(1990);
    expect(minor('20')).toBe(2000);
    expect(minor('0.07')).toBe(7);
    expect(minor('000123.40')).toBe(12340);
    expect(minor(' 5.00 ')).toBe(500);
    expect(minor('1500', 0)).toBe(1500);
    expect(minor('1.234', 3)).toBe(1234);
  });

  it('gives the right answer where floats do not', () => {
    expect(Math.round(1.005 * 100)).toBe(100); // the bug this avoids
    expect(minor('1.005')).toBe(101);
    expect(minor('1.0049999')).toBe(100);
    expect(minor('0.295')).toBe(30);
    expect(minor('4.35')).toBe(435); // 4.35 * 100 = 434.99999999999994
    expect(minor('1.15')).toBe(115); // 1.15 * 100 = 114.99999999999999
    expect(minor('8.675')).toBe(868);
    expect(minor('1500.5', 0)).toBe(1501);
    expect(minor('1500.49', 0)).toBe(1500);
    expect(minor('0.0005', 3)).toBe(1);
  });

  it('takes JSON numbers by their shortest decimal form, exponent notation included', () => {
    expect(minor(450)).toBe(45000);
    expect(minor(19.9)).toBe(1990);
    expect(minor(1.005)).toBe(101);
    expect(minor(0.1 + 0.2)).toBe(30); // 0.30000000000000004
    expect(minor(1e-7)).toBe(0);
    expect(minor(1.5e3)).toBe(150000);
    expect(minor(2e21)).toBe('too_big');
    expect(minor(-0)).toBe(0);
  });

  it('takes zero with a minus sign, refuses amounts below zero', () => {
    expect(minor('-0')).toBe(0);
    expect(minor('-0.00')).toBe(0);
    expect(minor('-0.01')).toBe('too_small');
    expect(minor('-5')).toBe('too_small');
    expect(minor(-2.5)).toBe('too_small');
  });

  it('refuses malformed text', () => {
    for (const bad of ['', ' ', 'abc', '1,000.00', '1.2.3', '1.', '.5', '+5', '1e3', '0x10', 'NaN', 'Infinity', '19.90 USD', '$19.90', '١٢']) {
      expect(minor(bad), JSON.stringify(bad)).toBe('invalid_amount');
    }
    for (const bad of [null, undefined, true, {}, [], Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(minor(bad), String(bad)).toBe('invalid_amount');
    }
  });

  it('refuses amounts beyond a safe integer of minor units', () => {
    expect(minor('90071992547409.91')).toBe(9007199254740991);
    expect(minor('90071992547409.92')).toBe('too_big');
    expect(minor('123456789012345678901234567890')).toBe('too_big');
  });
});

describe('amountReader', () => {
  it('collects one field error per bad amount, naming the field', () => {
    const amounts = amountReader('USD');
    expect(amounts.required('12.50', 'line_items.0.price')).toBe(1250);
    amounts.required(undefined, 'line_items.1.price');
    amounts.required('12,50', 'line_items.2.price');
    amounts.optional('-3.00', 'total_tax');
    expect(amounts.optional(null, 'shipping_total')).toBe(0);
    expect(amounts.optional('', 'shipping_total')).toBe(0);
    expect(amounts.errors).toEqual([
      { field: 'line_items.1.price', code: 'required', messageKey: 'errors.validation.required', params: undefined },
      { field: 'line_items.2.price', code: 'invalid_amount', messageKey: 'errors.validation.invalid_amount', params: { value: '12,50' } },
      { field: 'total_tax', code: 'too_small', messageKey: 'errors.validation.too_small', params: { min: 0, value: '-3.00' } },
    ]);
  });

  it('uses the currency exponent', () => {
    expect(amountReader('JPY').required('1980', 'price')).toBe(1980);
    expect(amountReader('TWD').required('1280', 'price')).toBe(128000);
    expect(amountReader('KWD').required('1.250', 'price')).toBe(1250);
  });
});
