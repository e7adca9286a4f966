import { describe, expect, it } from 'vitest';
import { holdReasons } from './holds.ts';

const base = { totalBaseMinor: 10_000, deliveryMethod: 'standard' as const, newCustomer: false, hasCoordinates: true };

describe('hold rules', () => {
  it('lets an ordinary order through', () => expect(holdReasons(base)).toEqual([]));
  it('holds a high-value order', () => expect(holdReasons({ ...base, totalBaseMinor: 200_001 })).toEqual(['high_value']));
  it('holds a new customer asking for express', () => {
    expect(holdReasons({ ...base, newCustomer: true, deliveryMethod: 'express' })).toEqual(['new_customer_express']);
    expect(holdReasons({ ...base, newCustomer: true })).toEqual([]);
  });
  it('holds an address without coordinates unless collected in store', () => {
    expect(holdReasons({ ...base, hasCoordinates: false })).toEqual(['address_without_coordinates']);
    expect(holdReasons({ ...base, hasCoordinates: false, deliveryMethod: 'pickup' })).toEqual([]);
  });
  it('gives every reason that applies', () => {
    expect(holdReasons({ totalBaseMinor: 1e9, deliveryMethod: 'express', newCustomer: true, hasCoordinates: false })).toEqual([
      'high_value',
      'new_customer_express',
      'address_without_coordinates',
    ]);
  });
  it('uses the configured threshold', () => expect(holdReasons({ ...base, totalBaseMinor: 5_000 }, { highValueBaseMinor: 1_000 })).toEqual(['high_value']));
});
