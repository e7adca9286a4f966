// Demo data big enough to make every screen alive. Deterministic: the same seed gives the same
// catalogue, customers and order history (dates are counted back from the day of seeding).
import { fakerEN_US, fakerZH_CN, fakerZH_TW, type Faker } from '@faker-js/faker';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import {
  Carrier,
  Channel,
  PurchaseOrder,
  PurchaseOrderLine,
  Supplier,
  SupplierProduct,
  Customer,
  ExchangeRate,
  InventoryLevel,
  Order,
  OrderLine,
  OrderTemplate,
  Payment,
  PaymentOperation,
  Product,
  Shipment,
  ShipmentEvent,
  StockMovement,
  User,
  Warehouse,
  type Address,
  type IOrder,
  type OrderStatus,
  type Role,
  type ICarrier,
} from '../../entities/index.ts';
import { createApiKey, hashPassword } from '../../app/lib/auth.server.ts';
import { audit, SYSTEM } from '../../app/lib/audit.server.ts';
import { seedServiceDesk } from './service.ts';
import { seedDeskMacros } from './desk-macros.ts';
import { seedWorkflows } from './workflows.ts';
import { recomputeAllTiers } from '../../app/modules/customers/service.server.ts';
import { toBaseMinor } from '../../app/lib/money.ts';
import { parcelCost } from '../../app/modules/fulfilment/planning.ts';

export interface DemoCredentials {
  users: { email: string; password: string; role: Role; name: string }[];
  apiKey: string;
}

export interface SeedOptions {
  size: 'demo' | 'small';
  passwordFor: (role: Role) => string;
  onProgress?: (step: string, done: number, total: number) => void;
  seed?: number;
}

const SIZES = {
  demo: { skus: 240, customers: 600, days: 90, ordersPerDay: 40 },
  small: { skus: 40, customers: 60, days: 14, ordersPerDay: 6 },
} as const;

const USERS: { role: Role; email: string; name: string; locale: 'en' | 'zh-CN' | 'zh-TW' }[] = [
  { role: 'admin', email: 'admin@demo.test', name: 'Alex Admin', locale: 'en' },
  { role: 'ops_manager', email: 'ops@demo.test', name: 'Olivia Ops', locale: 'en' },
  { role: 'agent', email: 'agent@demo.test', name: '王小明', locale: 'zh-CN' },
  { role: 'warehouse', email: 'warehouse@demo.test', name: 'Wes Warehouse', locale: 'en' },
  { role: 'executive', email: 'exec@demo.test', name: '陳美玲', locale: 'zh-TW' },
];

const CHANNELS = [
  { code: 'web', name: 'Web shop', kind: 'web', currencies: ['USD', 'EUR', 'GBP'], adapter: 'shopify' },
  { code: 'app', name: 'Mobile app', kind: 'app', currencies: ['USD', 'EUR'], adapter: null },
  { code: 'pos-nyc', name: 'Store POS — New York', kind: 'pos', currencies: ['USD'], adapter: null },
  { code: 'tmall', name: 'Tmall marketplace', kind: 'marketplace', currencies: ['CNY'], adapter: null },
  { code: 'momo', name: 'momo marketplace', kind: 'marketplace', currencies: ['TWD'], adapter: 'woocommerce' },
  { code: 'call-centre', name: 'Call centre', kind: 'call_centre', currencies: ['USD', 'CNY', 'TWD'], adapter: null },
  { code: 'csv', name: 'CSV import', kind: 'csv', currencies: ['USD', 'EUR', 'GBP', 'CNY', 'TWD'], adapter: null },
] as const;

// Real city coordinates, so nearest-warehouse routing gives sensible answers.
const WAREHOUSES = [
  {
    code: 'EWR',
    name: 'Newark DC',
    line1: '100 Port St',
    city: 'Newark',
    postalCode: '07114',
    country: 'US',
    lat: 40.7357,
    lng: -74.1724,
    pickMethod: 'batch' as const,
    pickBatchSize: 10,
  },
  { code: 'RNO', name: 'Reno DC', line1: '2500 E Greg St', city: 'Reno', postalCode: '89431', country: 'US', lat: 39.5296, lng: -119.8138 },
  { code: 'SHA', name: 'Shanghai DC', line1: '88 Waigaoqiao Rd', city: 'Shanghai', postalCode: '200131', country: 'CN', lat: 31.2304, lng: 121.4737 },
  { code: 'TPE', name: 'Taoyuan DC', line1: '15 Hangzhan S Rd', city: 'Taoyuan', postalCode: '337', country: 'TW', lat: 25.0797, lng: 121.2342 },
];

// Carriers with their routing rules (first match by priority wins) and what a parcel costs us on each (USD cents:
// per parcel, plus per started kilogram), recorded on every shipment for the margin report.
const CARRIERS = [
  {
    code: 'usps',
    name: 'USPS',
    trackingUrlTemplate: 'https://tools.usps.com/go/TrackConfirmAction?tLabels={tracking}',
    rules: [
      { service: 'Ground Advantage', serviceLevels: ['standard'], countries: ['US'], maxWeightGrams: 30_000, priority: 10, costMinor: 450, costPerKgMinor: 90 },
    ],
  },
  {
    code: 'ups',
    name: 'UPS',
    trackingUrlTemplate: 'https://www.ups.com/track?tracknum={tracking}',
    rules: [
      { service: 'Next Day Air', serviceLevels: ['express'], countries: ['US'], priority: 10, costMinor: 1800, costPerKgMinor: 250 },
      { service: 'Ground', serviceLevels: ['standard'], countries: ['US'], priority: 20, costMinor: 650, costPerKgMinor: 110 },
    ],
  },
  {
    code: 'sf',
    name: 'SF Express',
    trackingUrlTemplate: 'https://www.sf-express.com/we/ow/chn/sc/waybill/waybill-detail/{tracking}',
    rules: [{ service: 'Standard', serviceLevels: ['standard', 'express'], countries: ['CN', 'TW', 'HK'], priority: 10, costMinor: 380, costPerKgMinor: 80 }],
  },
  {
    code: 'dhl',
    name: 'DHL Express',
    trackingUrlTemplate: 'https://www.dhl.com/track?tracking-id={tracking}',
    rules: [{ service: 'Express Worldwide', serviceLevels: ['standard', 'express'], priority: 90, costMinor: 2400, costPerKgMinor: 400 }],
  },
];

const RATES: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79, CNY: 7.12, TWD: 32.1, HKD: 7.8, JPY: 151.2 };

const CATEGORIES = ['Apparel', 'Footwear', 'Home', 'Kitchen', 'Electronics', 'Beauty', 'Outdoor', 'Toys'];

const CITIES: Record<string, { city: string; lat: number; lng: number; postal: string }[]> = {
  US: [
    { city: 'New York', lat: 40.7128, lng: -74.006, postal: '10001' },
    { city: 'Boston', lat: 42.3601, lng: -71.0589, postal: '02108' },
    { city: 'Chicago', lat: 41.8781, lng: -87.6298, postal: '60601' },
    { city: 'Austin', lat: 30.2672, lng: -97.7431, postal: '73301' },
    { city: 'Seattle', lat: 47.6062, lng: -122.3321, postal: '98101' },
    { city: 'San Francisco', lat: 37.7749, lng: -122.4194, postal: '94103' },
    { city: 'Los Angeles', lat: 34.0522, lng: -118.2437, postal: '90012' },
    { city: 'Miami', lat: 25.7617, lng: -80.1918, postal: '33101' },
  ],
  GB: [
    { city: 'London', lat: 51.5074, lng: -0.1278, postal: 'SW1A 1AA' },
    { city: 'Manchester', lat: 53.4808, lng: -2.2426, postal: 'M1 1AE' },
  ],
  DE: [
    { city: 'Berlin', lat: 52.52, lng: 13.405, postal: '10115' },
    { city: 'Munich', lat: 48.1351, lng: 11.582, postal: '80331' },
  ],
  CN: [
    { city: '上海', lat: 31.2304, lng: 121.4737, postal: '200000' },
    { city: '北京', lat: 39.9042, lng: 116.4074, postal: '100000' },
    { city: '杭州', lat: 30.2741, lng: 120.1551, postal: '310000' },
    { city: '深圳', lat: 22.5431, lng: 114.0579, postal: '518000' },
  ],
  TW: [
    { city: '臺北市', lat: 25.033, lng: 121.5654, postal: '100' },
    { city: '臺中市', lat: 24.1477, lng: 120.6736, postal: '400' },
    { city: '高雄市', lat: 22.6273, lng: 120.3014, postal: '800' },
  ],
};

const COUNTRY_FOR_CURRENCY: Record<string, string[]> = { USD: ['US'], EUR: ['DE'], GBP: ['GB'], CNY: ['CN'], TWD: ['TW'] };

/** EAN-13 with a valid check digit. */
export function ean13(base12: string): string {
  const digits = base12.split('').map(Number);
  const sum = digits.reduce((s, d, i) => s + d * (i % 2 === 0 ? 1 : 3), 0);
  return base12 + String((10 - (sum % 10)) % 10);
}

/** Status an order of a given age would have reached by now. */
/** Statuses in which the customer has paid (a returned order has been refunded). */
const PAID: ReadonlySet<OrderStatus> = new Set([
  'paid',
  'allocated',
  'picking',
  'packed',
  'shipped',
  'delivered',
  'completed',
  'returned',
  'partially_returned',
]);

/**
 * The payment a paid demo order would have: captured in full through its provider (a returned order
 * refunded in full, a partly returned one by half), with the capture on record under its own key, so
 * refunds and exchanges on demo orders behave as on real ones. Draws nothing from faker, so the rest of
 * the demo stays as it was.
 */
function seedPayment(em: EntityManager, order: IOrder, pos: boolean) {
  if (!PAID.has(order.status)) return;
  const card = order.paymentMethod === 'test-card';
  const total = order.totalMinor;
  const refunded = order.status === 'returned' ? total : order.status === 'partially_returned' ? Math.floor(total / 2) : 0;
  const ref = `${card ? 'tc' : 'man'}_seed_${order.externalId}`;
  const payment = em.create(Payment, {
    order,
    provider: order.paymentMethod,
    method: card ? 'card' : pos ? 'cash' : 'bank_transfer',
    currency: order.currency,
    amountMinor: total,
    authorisedMinor: total,
    capturedMinor: total,
    refundedMinor: refunded,
    status: refunded === total ? 'refunded' : refunded ? 'partially_refunded' : 'captured',
    providerRef: ref,
    cardLast4: card ? '4242' : null,
    createdAt: order.placedAt,
    updatedAt: order.placedAt,
  });
  em.create(PaymentOperation, {
    payment,
    kind: card ? 'capture' : 'mark_paid',
    amountMinor: total,
    idempotencyKey: `seed:${order.externalId}:paid`,
    succeeded: true,
    providerRef: ref,
    createdAt: order.placedAt,
  });
}

const SHIPPED_STATUSES: readonly OrderStatus[] = ['shipped', 'delivered', 'completed', 'returned', 'partially_returned'];

/**
 * The parcel of a seeded order that has shipped: from its warehouse with the carrier for that country, half a
 * day to two and a half after the order, delivered one to four days later unless it is still on its way, with
 * the tracking events a carrier sends. Never in the future.
 */
function seedShipment(
  em: EntityManager,
  f: Faker,
  order: IOrder,
  lines: { sku: string; quantity: number }[],
  warehouse: { id: number },
  carrier: ICarrier,
  now: Date,
): Date {
  const placed = order.placedAt.getTime();
  const shippedAt = new Date(Math.min(now.getTime() - 3_600_000, placed + f.number.int({ min: 12, max: 60 }) * 3_600_000));
  const deliveredAt =
    order.status === 'shipped' ? null : new Date(Math.min(now.getTime() - 60_000, shippedAt.getTime() + f.number.int({ min: 24, max: 96 }) * 3_600_000));
  const weight = 500 * lines.reduce((n, l) => n + l.quantity, 0);
  const level = order.deliveryMethod === 'express' ? 'express' : 'standard';
  const rule = carrier.rules.find((r) => r.serviceLevels.includes(level)) ?? carrier.rules[0];
  const shipment = em.create(Shipment, {
    order,
    warehouse: em.getReference(Warehouse, warehouse.id),
    carrier,
    service: order.deliveryMethod === 'express' ? 'express' : 'ground',
    trackingNumber: `${carrier.code.toUpperCase()}${f.string.numeric(12)}`,
    status: deliveredAt ? 'delivered' : 'in_transit',
    weightGrams: weight,
    shippingCostBaseMinor: rule ? parcelCost(rule, weight) : null,
    lines,
    createdAt: shippedAt,
    shippedAt,
    deliveredAt,
  });
  em.create(ShipmentEvent, { shipment, status: 'label_created', description: 'Label created', occurredAt: shippedAt, source: 'oms', createdAt: shippedAt });
  const moving = new Date(shippedAt.getTime() + 4 * 3_600_000);
  if (moving < now)
    em.create(ShipmentEvent, {
      shipment,
      status: 'in_transit',
      description: 'Picked up by carrier',
      occurredAt: moving,
      source: carrier.code,
      createdAt: moving,
    });
  if (deliveredAt)
    em.create(ShipmentEvent, {
      shipment,
      status: 'delivered',
      description: 'Delivered',
      occurredAt: deliveredAt,
      source: carrier.code,
      createdAt: deliveredAt,
    });
  return shippedAt;
}

/**
 * The full demo's stock ledger: each shipped order's units leaving its warehouse, and the receipts that refilled
 * each level, worked back from what is on hand now, so every day's closing stock (what the products report's
 * turnover and stockouts read) follows from the ledger as it does in a live system: stock falls with each shipment
 * and is refilled by a receipt once it has fallen far enough, every third time only after it ran out for a while.
 * Draws nothing from faker, so the rest of the demo stays as it was.
 */
async function seedStockLedger(
  orm: MikroORM,
  levels: { productId: number; warehouseId: number; onHand: number }[],
  outbound: { productId: number; warehouseId: number; quantity: number; at: Date; reference: string }[],
) {
  const byLevel = new Map<string, typeof outbound>();
  for (const m of outbound) {
    const key = `${m.productId}|${m.warehouseId}`;
    byLevel.set(key, [...(byLevel.get(key) ?? []), m]);
  }
  const em = orm.em.fork();
  let written = 0;
  for (const level of levels) {
    const moves = (byLevel.get(`${level.productId}|${level.warehouseId}`) ?? []).sort((a, b) => b.at.getTime() - a.at.getTime());
    const refill = Math.max(level.onHand, 40) + 60;
    let onHand = level.onHand;
    let receipts = 0;
    const rows: { kind: 'shipment' | 'receipt'; quantity: number; onHandAfter: number; at: Date; reference: string | null }[] = [];
    // Newest first: before each shipment there was that much more; a receipt goes in when that would pass the refill level.
    for (const [i, m] of moves.entries()) {
      rows.push({ kind: 'shipment', quantity: -m.quantity, onHandAfter: onHand, at: m.at, reference: m.reference });
      onHand += m.quantity;
      if (onHand > refill) {
        const earlier = moves[i + 1]?.at.getTime() ?? m.at.getTime() - 3 * 86_400_000;
        const empty = receipts++ % 3 === 2;
        const at = new Date(earlier + (m.at.getTime() - earlier) * (empty ? 0.85 : 0.3));
        const quantity = empty ? onHand : onHand - Math.round(refill / 4);
        rows.push({ kind: 'receipt', quantity, onHandAfter: onHand, at, reference: `PO-DEMO-${level.productId}-${receipts}` });
        onHand -= quantity;
      }
    }
    for (const r of rows)
      em.create(StockMovement, {
        product: em.getReference(Product, level.productId),
        warehouse: em.getReference(Warehouse, level.warehouseId),
        kind: r.kind,
        quantity: r.quantity,
        onHandAfter: r.onHandAfter,
        reason: r.kind === 'receipt' ? 'Purchase order received' : null,
        reference: r.reference,
        actorLabel: 'seed',
        at: r.at,
      });
    written += rows.length;
    if (written > 2000) {
      await em.flush();
      em.clear();
      written = 0;
    }
  }
  await em.flush();
}

function statusForAge(f: Faker, ageDays: number): OrderStatus {
  const r = f.number.float({ min: 0, max: 1 });
  if (r < 0.04) return 'cancelled';
  if (ageDays > 21) return r < 0.08 ? 'returned' : r < 0.1 ? 'partially_returned' : 'completed';
  if (ageDays > 7) return r < 0.7 ? 'delivered' : 'completed';
  if (ageDays > 3) return r < 0.6 ? 'shipped' : 'delivered';
  if (ageDays > 1) return f.helpers.arrayElement(['allocated', 'picking', 'packed', 'shipped'] as const);
  return f.helpers.arrayElement(['received', 'validated', 'awaiting_payment', 'paid', 'on_hold', 'allocated'] as const);
}

const haversineKm = (a: { lat: number; lng: number }, b: { lat: number; lng: number }) => {
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat),
    dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 6371 * 2 * Math.asin(Math.sqrt(h));
};

export async function seedDemoData(orm: MikroORM, opts: SeedOptions): Promise<DemoCredentials> {
  const size = SIZES[opts.size];
  const seed = opts.seed ?? 20261123;
  const f = fakerEN_US;
  f.seed(seed);
  fakerZH_CN.seed(seed + 1);
  fakerZH_TW.seed(seed + 2);
  const progress = opts.onProgress ?? (() => {});
  const em = orm.em.fork();

  // Users, one per role.
  const users: DemoCredentials['users'] = [];
  for (const [i, u] of USERS.entries()) {
    const password = opts.passwordFor(u.role);
    em.create(User, { email: u.email, name: u.name, role: u.role, locale: u.locale, passwordHash: await hashPassword(password) });
    users.push({ email: u.email, password, role: u.role, name: u.name });
    progress('users', i + 1, USERS.length);
  }

  const channels = CHANNELS.map((c) =>
    em.create(Channel, { ...c, currencies: [...c.currencies], webhookSecret: c.adapter ? f.string.alphanumeric(32) : null }),
  );
  const warehouses = WAREHOUSES.map((w) => em.create(Warehouse, w));
  const carriers = CARRIERS.map((c) => em.create(Carrier, c));
  for (const [currency, rate] of Object.entries(RATES)) em.create(ExchangeRate, { currency, ratePerBase: rate });
  await em.flush();

  // Catalogue and stock.
  const products = [];
  for (let i = 0; i < size.skus; i++) {
    const category = CATEGORIES[i % CATEGORIES.length];
    const sku = `${category.slice(0, 3).toUpperCase()}-${String(1000 + i)}`;
    products.push(
      em.create(Product, {
        sku,
        barcode: ean13(`590${String(100000000 + i * 7919).slice(-9)}`),
        name: `${f.commerce.productAdjective()} ${f.commerce.product()}`,
        category,
        weightGrams: f.number.int({ min: 80, max: 4000 }),
        lengthMm: f.number.int({ min: 50, max: 600 }),
        widthMm: f.number.int({ min: 30, max: 400 }),
        heightMm: f.number.int({ min: 10, max: 300 }),
        priceMinor: f.number.int({ min: 5, max: 300 }) * 100 - 1,
        currency: 'USD',
      }),
    );
  }
  await em.flush();
  const levelsOnHand: { productId: number; warehouseId: number; onHand: number }[] = [];
  for (const [i, product] of products.entries()) {
    for (const warehouse of warehouses) {
      // Some SKUs are out of stock or below their reorder point somewhere, so alerts have something to say.
      const onHand = f.helpers.weightedArrayElement([
        { weight: 1, value: 0 },
        { weight: 2, value: f.number.int({ min: 1, max: 15 }) },
        { weight: 7, value: f.number.int({ min: 20, max: 400 }) },
      ]);
      const bin = `${'ABCD'[i % 4]}-${String(1 + (i % 24)).padStart(2, '0')}-${1 + (i % 5)}`;
      em.create(InventoryLevel, { product, warehouse, onHand, reserved: 0, reorderPoint: 20, reorderQuantity: 100, bin });
      levelsOnHand.push({ productId: product.id, warehouseId: warehouse.id, onHand });
    }
    if (i % 20 === 0) progress('catalogue', i + 1, products.length);
  }
  progress('catalogue', products.length, products.length);
  // Suppliers and purchase orders on their way in, so ATP has inbound supply by date.
  const suppliers = [
    em.create(Supplier, { code: 'ACME', name: 'Acme Manufacturing', email: 'orders@acme.example', currency: 'USD', leadTimeDays: 10 }),
    em.create(Supplier, { code: 'SZ-SOURCING', name: '深圳优选供应链', email: 'po@szsourcing.example', locale: 'zh-CN', currency: 'CNY', leadTimeDays: 21 }),
  ];
  // What each supplier sells us (no random draws, so the rest of the demo data stays as it was): Acme
  // every product at 45% of its list price; Shenzhen two in three, in CNY, at 38–50% depending on
  // the product (cheaper than Acme for some, dearer for others), twice the lead time for every fourth.
  // Every seventh product has Acme as its preferred supplier whatever the price.
  const offers = new Map<string, number>();
  // What a unit costs in USD when sold: the offer a reorder would go to (purchasing/costs.ts), recorded on each line.
  const unitCost = new Map<string, number>();
  for (const [i, product] of products.entries()) {
    const acme = Math.round(product.priceMinor * 0.45);
    em.create(SupplierProduct, {
      supplier: suppliers[0],
      product,
      supplierSku: `AC-${product.sku}`,
      unitCostMinor: acme,
      leadTimeDays: null,
      preferred: i % 7 === 0,
    });
    offers.set(`0:${product.sku}`, acme);
    if (i % 3 !== 2) {
      const sz = Math.round(product.priceMinor * (0.38 + (i % 5) * 0.03) * RATES.CNY);
      em.create(SupplierProduct, {
        supplier: suppliers[1],
        product,
        supplierSku: null,
        unitCostMinor: sz,
        leadTimeDays: i % 4 === 0 ? 42 : null,
        preferred: false,
      });
      offers.set(`1:${product.sku}`, sz);
    }
    const szUsd = i % 3 !== 2 ? Math.round(offers.get(`1:${product.sku}`)! / RATES.CNY) : Infinity;
    unitCost.set(product.sku, i % 7 === 0 ? acme : Math.min(acme, szUsd));
  }
  for (let k = 0; k < Math.min(6, Math.floor(products.length / 5)); k++) {
    const po = em.create(PurchaseOrder, {
      number: `PO-${String(1001 + k)}`,
      supplier: suppliers[k % 2],
      warehouse: warehouses[k % warehouses.length],
      status: k % 3 === 0 ? 'approved' : 'sent',
      currency: suppliers[k % 2].currency,
      expectedAt: new Date(Date.now() + (5 + k * 4) * 86_400_000),
      createdBy: 'seed',
    });
    for (const product of products.slice(k * 5, k * 5 + 3)) {
      const unitCostMinor = offers.get(`${k % 2}:${product.sku}`) ?? Math.round(product.priceMinor * 0.45 * RATES[suppliers[k % 2].currency]);
      em.create(PurchaseOrderLine, { purchaseOrder: po, product, quantity: 100 + k * 20, unitCostMinor });
    }
  }
  em.create(OrderTemplate, { name: 'Gift bundle', lines: products.slice(0, 3).map((p) => ({ sku: p.sku, quantity: 1 })), createdBy: 'seed' });
  em.create(OrderTemplate, { name: 'Office restock', lines: products.slice(3, 5).map((p) => ({ sku: p.sku, quantity: 5 })), createdBy: 'seed' });
  await em.flush();

  // Customers across the markets the channels sell to.
  const customers = [];
  for (let i = 0; i < size.customers; i++) {
    const country = f.helpers.weightedArrayElement([
      { weight: 5, value: 'US' },
      { weight: 1, value: 'GB' },
      { weight: 1, value: 'DE' },
      { weight: 2, value: 'CN' },
      { weight: 2, value: 'TW' },
    ]);
    const local = country === 'CN' ? fakerZH_CN : country === 'TW' ? fakerZH_TW : f;
    const place = f.helpers.arrayElement(CITIES[country]);
    const name = local.person.fullName();
    const address: Address = {
      name,
      line1: local.location.streetAddress(),
      city: place.city,
      postalCode: place.postal,
      country,
      lat: place.lat,
      lng: place.lng,
    };
    customers.push(
      em.create(Customer, {
        email: `customer${i + 1}@example.com`,
        name,
        phone: f.phone.number(),
        locale: country === 'CN' ? 'zh-CN' : country === 'TW' ? 'zh-TW' : 'en',
        tier: f.helpers.weightedArrayElement([
          { weight: 14, value: 'standard' },
          { weight: 4, value: 'silver' },
          { weight: 2, value: 'gold' },
          { weight: 1, value: 'vip' },
        ] as const),
        tags: f.helpers.arrayElements(['wholesale', 'newsletter', 'influencer', 'staff', 'b2b'], { min: 0, max: 2 }),
        addresses: [address],
        createdAt: f.date.past({ years: 2 }),
      }),
    );
    if (i % 50 === 0) progress('customers', i + 1, size.customers);
  }
  progress('customers', size.customers, size.customers);
  await em.flush();

  // Order history, newest last, in each channel's currencies. Work from plain snapshots and
  // references so the unit of work can be cleared after every day.
  const channelInfo = channels.map((c) => ({ id: c.id, code: c.code, kind: c.kind, currencies: c.currencies }));
  const warehouseInfo = warehouses.map((w) => ({ id: w.id, lat: Number(w.lat), lng: Number(w.lng), country: w.country }));
  const carrierFor = (country: string) =>
    carriers.find((c) => c.code === (country === 'US' ? 'ups' : country === 'CN' || country === 'TW' ? 'sf' : 'dhl')) ?? carriers[0];
  const now = new Date();
  const productInfo = products.map((p) => ({ id: p.id, sku: p.sku, name: p.name, priceMinor: p.priceMinor }));
  const customerInfo = customers.map((c, index) => ({ id: c.id, index, address: c.addresses[0] }));
  // What left each warehouse, for the demo's stock ledger.
  const outbound: { productId: number; warehouseId: number; quantity: number; at: Date; reference: string }[] = [];
  em.clear();
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  const total = size.days * size.ordersPerDay;
  let n = 0;
  // Every past day, and today until now (so the dashboards have a today), in proportion to the hours gone.
  const dayGone = (now.getTime() - today.getTime()) / 86_400_000;
  for (let day = size.days; day >= 0; day--) {
    const share = day > 0 ? 1 : dayGone;
    const count = Math.round(size.ordersPerDay * share * f.number.float({ min: 0.6, max: 1.4 }));
    for (let k = 0; k < count; k++) {
      n++;
      const channel = f.helpers.arrayElement(channelInfo);
      const currency = f.helpers.arrayElement(channel.currencies);
      const countries = COUNTRY_FOR_CURRENCY[currency] ?? ['US'];
      // The full demo gains customers as it goes (a third at first, all by the end), so each month has a cohort of new ones.
      const local = customerInfo.filter((c) => countries.includes(c.address.country));
      const known = opts.size === 'demo' ? customerInfo.length * (0.3 + (0.7 * n) / total) : customerInfo.length;
      const pool = local.filter((c) => c.index < known);
      const customer = f.helpers.arrayElement(pool.length ? pool : local) ?? f.helpers.arrayElement(customerInfo);
      const address = customer.address;
      const placedAt = new Date(today.getTime() - day * 86_400_000 + f.number.int({ min: 0, max: Math.max(0, Math.floor(86_399_999 * share)) }));
      const nearest = [...warehouseInfo].sort(
        (a, b) => haversineKm(a, address as { lat: number; lng: number }) - haversineKm(b, address as { lat: number; lng: number }),
      )[0];
      const status = statusForAge(f, day);
      const order = em.create(Order, {
        channel: em.getReference(Channel, channel.id),
        externalId: `${channel.code.toUpperCase()}-${String(100000 + n)}`,
        customer: em.getReference(Customer, customer.id),
        currency,
        subtotalMinor: 0,
        shippingMinor: 0,
        taxMinor: 0,
        totalMinor: 0,
        status,
        holdReasons: status === 'on_hold' ? ['high_value'] : [],
        paymentMethod: channel.kind === 'pos' ? 'manual' : f.helpers.arrayElement(['test-card', 'test-card', 'manual']),
        shippingAddress: address,
        warehouse: ['received', 'validated', 'awaiting_payment', 'on_hold', 'cancelled'].includes(status) ? null : em.getReference(Warehouse, nearest.id),
        promisedBy: new Date(placedAt.getTime() + f.number.int({ min: 2, max: 5 }) * 86_400_000),
        placedAt,
        createdAt: placedAt,
        updatedAt: placedAt,
      });
      let subtotal = 0;
      const shipped: { sku: string; quantity: number }[] = [];
      for (const product of f.helpers.arrayElements(productInfo, { min: 1, max: 4 })) {
        const quantity = f.number.int({ min: 1, max: 3 });
        shipped.push({ sku: product.sku, quantity });
        const unit = Math.round(product.priceMinor * (RATES[currency] ?? 1));
        subtotal += unit * quantity;
        em.create(OrderLine, {
          order,
          product: em.getReference(Product, product.id),
          sku: product.sku,
          name: product.name,
          quantity,
          unitPriceMinor: unit,
          totalMinor: unit * quantity,
          unitCostBaseMinor: unitCost.get(product.sku) ?? null,
        });
      }
      const shipping = subtotal > 10_000 * (RATES[currency] ?? 1) ? 0 : Math.round(799 * (RATES[currency] ?? 1));
      order.subtotalMinor = subtotal;
      order.shippingMinor = shipping;
      order.totalMinor = subtotal + shipping;
      // In USD at the day's rate, as intake keeps every order's (the demo's rates never change).
      order.totalBaseMinor = toBaseMinor(order.totalMinor, currency, 'USD', RATES[currency] ?? 1);
      seedPayment(em, order, channel.kind === 'pos');
      if (SHIPPED_STATUSES.includes(status)) {
        const at = seedShipment(em, f, order, shipped, nearest, carrierFor(nearest.country), now);
        for (const l of shipped)
          outbound.push({
            productId: productInfo.find((p) => p.sku === l.sku)!.id,
            warehouseId: nearest.id,
            quantity: l.quantity,
            at,
            reference: order.externalId,
          });
      }
    }
    await em.flush();
    em.clear();
    progress('orders', Math.min(n, total), total);
  }
  progress('orders', total, total);
  if (opts.size === 'demo') await seedStockLedger(orm, levelsOnHand, outbound);

  // Tiers follow the rules from the order history, as they would in a live system.
  await recomputeAllTiers(orm, SYSTEM);
  const apiKey = await createApiKey(orm.em.fork(), { name: 'Demo integration', role: 'ops_manager' }, SYSTEM);
  // The demo's workflows (Standard order, Standard return, Reorder), published as version 1 and bound to their events.
  await seedWorkflows(orm, SYSTEM);
  // The service desk: teams, hours, SLA policies and tickets in three languages.
  const tickets = await seedServiceDesk(orm, SYSTEM);
  // Canned responses, macros and approval limits.
  await seedDeskMacros(orm, SYSTEM);
  const last = orm.em.fork();
  audit(last, SYSTEM, {
    action: 'system.demo_seeded',
    entityType: 'System',
    after: {
      users: users.length,
      channels: channels.length,
      warehouses: warehouses.length,
      skus: products.length,
      customers: customers.length,
      orders: n,
      tickets,
      seed,
    },
  });
  await last.flush();
  return { users, apiKey: apiKey.key };
}
