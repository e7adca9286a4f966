import { describe, expect, it } from 'vitest';
import { chooseCarrier, parcelCost, planPickLists, trackingNumber, type CarrierOption, type PickCandidate } from './planning.ts';

const carriers: CarrierOption[] = [
  {
    id: 1,
    code: 'usps',
    name: 'USPS',
    rules: [{ service: 'Ground Advantage', serviceLevels: ['standard'], countries: ['US'], maxWeightGrams: 30_000, priority: 10 }],
  },
  {
    id: 2,
    code: 'ups',
    name: 'UPS',
    rules: [
      { service: 'Next Day Air', serviceLevels: ['express'], countries: ['US'], priority: 10 },
      { service: 'Ground', serviceLevels: ['standard'], countries: ['US'], priority: 20 },
    ],
  },
  { id: 3, code: 'sf', name: 'SF', rules: [{ service: 'Standard', serviceLevels: ['standard', 'express'], countries: ['CN', 'TW'], priority: 10 }] },
  { id: 4, code: 'dhl', name: 'DHL', rules: [{ service: 'Express Worldwide', serviceLevels: ['standard', 'express'], priority: 90 }] },
];

describe('chooseCarrier', () => {
  it('picks by destination, service level and weight', () => {
    expect(chooseCarrier(carriers, { country: 'US', weightGrams: 1000, serviceLevel: 'standard' })).toMatchObject({
      carrier: { code: 'usps' },
      service: 'Ground Advantage',
    });
    expect(chooseCarrier(carriers, { country: 'US', weightGrams: 40_000, serviceLevel: 'standard' })).toMatchObject({
      carrier: { code: 'ups' },
      service: 'Ground',
    });
    expect(chooseCarrier(carriers, { country: 'US', weightGrams: 1000, serviceLevel: 'express' })).toMatchObject({
      carrier: { code: 'ups' },
      service: 'Next Day Air',
    });
    expect(chooseCarrier(carriers, { country: 'TW', weightGrams: 1000, serviceLevel: 'express' })).toMatchObject({ carrier: { code: 'sf' } });
    expect(chooseCarrier(carriers, { country: 'DE', weightGrams: 1000, serviceLevel: 'standard' })).toMatchObject({ carrier: { code: 'dhl' } });
    expect(chooseCarrier(carriers.slice(0, 3), { country: 'DE', weightGrams: 1000, serviceLevel: 'standard' })).toBeNull();
  });
});

describe('parcelCost', () => {
  const rule = { service: 'Ground', serviceLevels: ['standard'], priority: 1 };
  it('is the price per parcel plus the price per started kilogram, at least one', () => {
    expect(parcelCost({ ...rule, costMinor: 500, costPerKgMinor: 120 }, 300)).toBe(620);
    expect(parcelCost({ ...rule, costMinor: 500, costPerKgMinor: 120 }, 1000)).toBe(620);
    expect(parcelCost({ ...rule, costMinor: 500, costPerKgMinor: 120 }, 1001)).toBe(740);
    expect(parcelCost({ ...rule, costMinor: 900 }, 25_000)).toBe(900);
    expect(parcelCost({ ...rule, costPerKgMinor: 200 }, 2500)).toBe(600);
  });
  it('is unknown on a rule without a rate', () => {
    expect(parcelCost(rule, 1000)).toBeNull();
  });
});

const order = (orderId: number, bins: string[], extra: Partial<PickCandidate> = {}): PickCandidate => ({
  orderId,
  deliveryMethod: 'standard',
  promisedBy: null,
  lines: bins.map((bin, i) => ({ lineId: orderId * 10 + i, productId: i + 1, sku: `S-${bin}`, bin, quantity: 1 })),
  ...extra,
});

describe('planPickLists', () => {
  const orders = [order(1, ['B-02-1', 'A-01-1']), order(2, ['A-05-1']), order(3, ['C-01-1', 'B-01-1'])];

  it('single: one list per order, lines in walk order', () => {
    const lists = planPickLists('single', orders);
    expect(lists).toHaveLength(3);
    expect(lists[0].lines.map((l) => l.bin)).toEqual(['A-01-1', 'B-02-1']);
  });

  it('batch: up to N orders per list', () => {
    expect(planPickLists('batch', orders, 2).map((l) => l.orders.map((o) => o.orderId))).toEqual([[1, 2], [3]]);
    expect(planPickLists('batch', orders, 10)[0].lines.map((l) => l.bin)).toEqual(['A-01-1', 'A-05-1', 'B-01-1', 'B-02-1', 'C-01-1']);
  });

  it("zone: one list per zone, each with only that zone's lines", () => {
    const lists = planPickLists('zone', orders);
    expect(lists.map((l) => l.zone)).toEqual(['A', 'B', 'C']);
    expect(lists[1].lines.map((l) => [l.orderId, l.bin])).toEqual([
      [3, 'B-01-1'],
      [1, 'B-02-1'],
    ]);
  });

  it('wave: express and earliest promised first', () => {
    const w = planPickLists('wave', [order(1, ['A']), order(2, ['A'], { deliveryMethod: 'express' }), order(3, ['A'], { promisedBy: '2026-01-01' })], 2);
    expect(w.map((l) => l.orders.map((o) => o.orderId))).toEqual([[2, 3], [1]]);
  });
});

describe('trackingNumber', () => {
  it('is unique per shipment and shaped per carrier', () => {
    expect(trackingNumber('ups', 1, 'abcdef12')).toMatch(/^1ZABCDEF\d{10}$/);
    expect(trackingNumber('sf', 1, 'abcdef12')).not.toBe(trackingNumber('sf', 2, 'abcdef12'));
  });
});
