// Pure fulfilment decisions: which carrier and service ship a parcel, and how orders are grouped
// into pick lists by method. No I/O, so the designer's simulation can use them too.
import type { PickMethod } from '../../../entities/constants.ts';

export interface CarrierRule {
  service: string;
  serviceLevels: string[];
  countries?: string[];
  maxWeightGrams?: number;
  priority: number;
  /** What a parcel on this rule costs us, in minor units of the base currency: per parcel, plus per started kilogram. */
  costMinor?: number;
  costPerKgMinor?: number;
}
export interface CarrierOption {
  id: number;
  code: string;
  name: string;
  rules: CarrierRule[];
}
export interface Parcel {
  country: string;
  weightGrams: number;
  serviceLevel: string;
}

/** The carrier rule with the lowest priority number that fits the parcel (destination, weight, service level). */
export function chooseCarrier(carriers: CarrierOption[], parcel: Parcel): { carrier: CarrierOption; service: string; rule: CarrierRule } | null {
  const level = parcel.serviceLevel === 'pickup' ? 'standard' : parcel.serviceLevel;
  const fits = carriers.flatMap((carrier) =>
    carrier.rules
      .filter(
        (r) =>
          r.serviceLevels.includes(level) &&
          (!r.countries?.length || r.countries.includes(parcel.country)) &&
          (r.maxWeightGrams === undefined || parcel.weightGrams <= r.maxWeightGrams),
      )
      .map((rule) => ({ carrier, rule })),
  );
  fits.sort((a, b) => a.rule.priority - b.rule.priority || a.carrier.id - b.carrier.id);
  return fits[0] ? { carrier: fits[0].carrier, service: fits[0].rule.service, rule: fits[0].rule } : null;
}

/**
 * What shipping a parcel of `weightGrams` on `rule` costs us (minor units of the base currency): the rule's price per
 * parcel plus its price per started kilogram; null when the rule has no rate.
 */
export function parcelCost(rule: CarrierRule, weightGrams: number): number | null {
  if (rule.costMinor === undefined && rule.costPerKgMinor === undefined) return null;
  return (rule.costMinor ?? 0) + (rule.costPerKgMinor ?? 0) * Math.max(1, Math.ceil(weightGrams / 1000));
}

export interface PickCandidate {
  orderId: number;
  deliveryMethod: string;
  promisedBy: string | null;
  lines: { lineId: number; productId: number; sku: string; bin: string | null; quantity: number }[];
}

export interface PlannedPickList {
  zone: string | null;
  orders: PickCandidate[];
  lines: (PickCandidate['lines'][number] & { orderId: number })[];
}

const zoneOf = (bin: string | null) => (bin ? bin.split('-')[0] : '?');
/** Walk order through the warehouse: by bin, then SKU. */
const byBin = (a: { bin: string | null; sku: string }, b: { bin: string | null; sku: string }) =>
  (a.bin ?? '~').localeCompare(b.bin ?? '~') || a.sku.localeCompare(b.sku);

/**
 * single: one list per order. batch: lists of up to `size` orders. zone: one list per zone for the
 * batch. wave: express and earliest promised orders first, in waves of `size`.
 */
export function planPickLists(method: PickMethod, candidates: PickCandidate[], size = 10): PlannedPickList[] {
  const list = (orders: PickCandidate[], zone: string | null = null): PlannedPickList => ({
    zone,
    orders,
    lines: orders.flatMap((o) => o.lines.filter((l) => zone === null || zoneOf(l.bin) === zone).map((l) => ({ ...l, orderId: o.orderId }))).sort(byBin),
  });
  const chunks = <T>(xs: T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
  switch (method) {
    case 'single':
      return candidates.map((o) => list([o]));
    case 'batch':
      return chunks(candidates, size).map((c) => list(c));
    case 'zone': {
      const zones = [...new Set(candidates.flatMap((o) => o.lines.map((l) => zoneOf(l.bin))))].sort();
      return zones.map((z) =>
        list(
          candidates.filter((o) => o.lines.some((l) => zoneOf(l.bin) === z)),
          z,
        ),
      );
    }
    case 'wave': {
      const urgency = (o: PickCandidate) => (o.deliveryMethod === 'express' ? 0 : 1);
      const sorted = [...candidates].sort(
        (a, b) => urgency(a) - urgency(b) || (a.promisedBy ?? '9').localeCompare(b.promisedBy ?? '9') || a.orderId - b.orderId,
      );
      return chunks(sorted, size).map((c) => list(c));
    }
  }
}

/** A tracking number in the carrier's usual shape, unique per shipment id. */
export function trackingNumber(carrierCode: string, shipmentId: number, salt: string): string {
  const digits = (shipmentId * 7919 + parseInt(salt.slice(0, 6), 16)).toString().padStart(10, '0');
  switch (carrierCode) {
    case 'ups':
      return `1Z${salt.slice(0, 6).toUpperCase()}${digits}`;
    case 'usps':
      return `9400${digits}${salt.slice(0, 8).replace(/\D/g, '0').padEnd(8, '0')}`;
    case 'sf':
      return `SF${digits}`;
    default:
      return `${carrierCode.toUpperCase()}${digits}`;
  }
}
