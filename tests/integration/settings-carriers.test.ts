import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { createPayment } from '../../app/modules/payments/service.server.ts';
import { confirmPick, createPickLists, packOrder, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import type { CarrierRule } from '../../app/modules/fulfilment/planning.ts';
import { getCarrier, listCarriers, previewCarrier, saveCarrier } from '../../app/modules/settings/carriers.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { auditEvents, refusal } from '../support/domain.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, type: 'user' as const, id: 1, label: 'admin@test' };
const sql = (q: string, p: unknown[] = []) => db.orm.em.getConnection().execute(q, p);
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('setcar');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  await sql(`update sales_order set status = 'completed' where status in ('paid', 'allocated', 'picking', 'packed')`);
  // A light (0.5 kg) and a heavy (40 kg) item, stocked in Newark only.
  for (const [sku, grams] of [
    ['CAR-L', 500],
    ['CAR-H', 40_000],
  ] as const) {
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, ?, 1, 1, 1, 1000, 'USD')`,
      [sku, `BC-${sku}`, `Item ${sku}`, grams],
    );
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
               select p.id, w.id, case when w.code = 'EWR' then 100 else 0 end, 0, 0, 0, 'A-01-1', now() from product p, warehouse w where p.sku = ?`,
      [sku],
    );
  }
});
afterAll(async () => {
  await db.drop();
});

/** An order to Boston through intake, paid, picked, packed and shipped: the carrier and service it went with. */
async function ship(sku: 'CAR-L' | 'CAR-H', delivery: 'standard' | 'express' = 'standard') {
  const r = await createOrder(
    db.orm,
    {
      channel: 'web',
      externalId: `SETCAR-${++n}`,
      customer: { email: 'car@example.com', name: 'Car Rier' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [{ sku, quantity: 1, unitPrice: 1000 }],
      paymentMethod: 'manual',
      deliveryMethod: delivery,
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  await createPayment(db.orm, r.order.id, { provider: 'manual', method: 'cash' }, `pay-${r.order.id}`, actor);
  const [list] = await createPickLists(db.orm, { warehouse: 'EWR', method: 'single', orderIds: [r.order.id] }, actor);
  await confirmPick(db.orm, list.id, sku, actor);
  await packOrder(db.orm, r.order.id, actor);
  const [s] = (await shipOrder(db.orm, r.order.id, actor)).shipments;
  return `${s.carrier} ${s.service}`;
}
const preview = async (weightGrams: number, serviceLevel = 'standard', country = 'US') => {
  const { choice } = await previewCarrier(db.orm.em.fork(), { country, weightGrams: String(weightGrams), serviceLevel });
  return choice ? `${choice.carrier.code} ${choice.service}` : null;
};
const carrier = async (code: string) => (await getCarrier(db.orm.em.fork(), code))!;
/** The carrier as its form would send it back, with some rules changed. */
const form = (c: Awaited<ReturnType<typeof carrier>>, rules: CarrierRule[] = c.rules, change: Record<string, unknown> = {}) => ({
  name: c.name,
  trackingUrlTemplate: c.trackingUrlTemplate,
  active: c.active,
  rules: rules.map((r) => ({
    service: r.service,
    serviceLevels: r.serviceLevels,
    countries: (r.countries ?? []).join(', '),
    maxWeightGrams: r.maxWeightGrams === undefined ? '' : String(r.maxWeightGrams),
    priority: String(r.priority),
    cost: r.costMinor === undefined ? '' : String(r.costMinor / 100),
    costPerKg: r.costPerKgMinor === undefined ? '' : String(r.costPerKgMinor / 100),
  })),
  ...change,
});

describe('carrier rules choose the carrier and service of a shipment', () => {
  it('lists the carriers with their rules as stored', async () => {
    const list = await listCarriers(db.orm.em.fork());
    expect(list.map((c) => c.code).sort()).toEqual(['dhl', 'sf', 'ups', 'usps']);
    expect((await carrier('usps')).rules).toEqual([
      { service: 'Ground Advantage', serviceLevels: ['standard'], countries: ['US'], maxWeightGrams: 30_000, priority: 10, costMinor: 450, costPerKgMinor: 90 },
    ]);
  });

  it('ships by the rules as edited: priority, weight limit, destination, active flag', async () => {
    // As seeded: USPS Ground Advantage (priority 10) up to 30 kg, UPS Ground (20) above; UPS Next Day Air for express.
    expect(await ship('CAR-L')).toBe('usps Ground Advantage');
    // Each parcel records what it costs us, at its rule's rate: per parcel plus per started kilogram.
    const lastParcel = async () =>
      (await sql('select weight_grams, shipping_cost_base_minor as cost from shipment order by id desc limit 1'))[0] as {
        weight_grams: number;
        cost: number | null;
      };
    const usps = await lastParcel();
    expect(usps.cost).toBe(450 + 90 * Math.max(1, Math.ceil(usps.weight_grams / 1000)));
    expect(await ship('CAR-H')).toBe('ups Ground');
    const heavy = await lastParcel();
    expect(heavy.cost).toBe(650 + 110 * Math.ceil(heavy.weight_grams / 1000));
    expect(await ship('CAR-L', 'express')).toBe('ups Next Day Air');

    // UPS Ground moves ahead of USPS, for parcels up to 1 kg only.
    const ups = await carrier('ups');
    const edited = ups.rules.map((r) => (r.service === 'Ground' ? { ...r, priority: 5, maxWeightGrams: 1000 } : r));
    const r = await saveCarrier(db.orm, 'ups', form(ups, edited), actor);
    expect(r.changed).toEqual(['rules']);
    expect(await preview(500)).toBe('ups Ground');
    expect(await ship('CAR-L')).toBe('ups Ground');
    expect(await preview(40_000)).toBe('dhl Express Worldwide'); // over UPS's new limit and USPS's 30 kg: only DHL's anywhere rule fits
    expect(await ship('CAR-H')).toBe('dhl Express Worldwide');
    expect(await auditEvents(db, 'carrier.updated')).toEqual([
      {
        actor_label: 'admin@test',
        entity_id: String(ups.id),
        before: { rules: ups.rules },
        after: {
          code: 'ups',
          rules: [
            ups.rules[0],
            { service: 'Ground', serviceLevels: ['standard'], countries: ['US'], maxWeightGrams: 1000, priority: 5, costMinor: 650, costPerKgMinor: 110 },
          ],
        },
      },
    ]);

    // A new express service only to Canada does not touch parcels to the US.
    await saveCarrier(
      db.orm,
      'ups',
      form(await carrier('ups'), [...edited, { service: 'Express Saver', serviceLevels: ['express'], countries: ['CA'], priority: 1 }]),
      actor,
    );
    expect(await preview(500, 'express')).toBe('ups Next Day Air');
    expect(await preview(500, 'express', 'CA')).toBe('ups Express Saver');

    // An inactive carrier is never chosen.
    await saveCarrier(db.orm, 'ups', form(await carrier('ups'), undefined, { active: false }), actor);
    expect(await preview(500)).toBe('usps Ground Advantage');
    expect(await ship('CAR-L', 'express')).toBe('dhl Express Worldwide');
  });

  it('adds a carrier whose rule takes over, with its own tracking links', async () => {
    const created = await saveCarrier(
      db.orm,
      null,
      {
        code: 'LaserShip',
        name: 'LaserShip',
        trackingUrlTemplate: 'https://www.lasership.com/track/{tracking}',
        active: true,
        rules: [{ service: 'Ground', serviceLevels: ['standard', 'express'], countries: 'us', maxWeightGrams: '2000', priority: '1' }],
      },
      actor,
    );
    expect(created).toMatchObject({
      created: true,
      carrier: {
        code: 'lasership',
        rules: [{ service: 'Ground', serviceLevels: ['standard', 'express'], countries: ['US'], maxWeightGrams: 2000, priority: 1 }],
      },
    });
    expect(await auditEvents(db, 'carrier.created')).toMatchObject([
      { entity_id: String(created.carrier.id), after: { code: 'lasership', name: 'LaserShip' } },
    ]);
    expect(await ship('CAR-L')).toBe('lasership Ground');
    // No rate on its rule: the parcel's cost is unknown, not zero.
    expect((await sql('select shipping_cost_base_minor as cost from shipment order by id desc limit 1'))[0].cost).toBeNull();
    const [s] = await sql(`select s.tracking_number from shipment s join carrier c on c.id = s.carrier_id where c.code = 'lasership'`);
    expect(s.tracking_number).toMatch(/^LASERSHIP\d{10}$/);
    expect((await refusal(saveCarrier(db.orm, null, { ...form(created.carrier), code: 'lasership' }, actor))).errors).toMatchObject([
      { field: 'code', messageKey: 'carrierSettings.errors.codeTaken' },
    ]);
  });
});

describe('bad carrier input', () => {
  it('is refused by field, naming the rule row, and nothing is written', async () => {
    const before = await carrier('sf');
    const auditRows = (await sql('select count(*) as n from audit_event'))[0].n;
    const bad = form(before, [...before.rules, { service: '', serviceLevels: [], countries: ['US', 'Mars' as string], priority: -1 }], {
      trackingUrlTemplate: 'https://sf.example/track',
    });
    bad.rules[1].maxWeightGrams = 'heavy';
    bad.rules[1].cost = '1.234';
    bad.rules[1].costPerKg = '-2';
    const e = await refusal(saveCarrier(db.orm, 'sf', bad, actor));
    expect(e.status).toBe(422);
    expect(e.errors!.map((x) => [x.field, x.messageKey, x.params])).toEqual([
      ['trackingUrlTemplate', 'carrierSettings.errors.trackingUrlPlaceholder', { value: 'https://sf.example/track' }],
      ['rules.1.service', 'carrierSettings.errors.ruleService', { value: '', row: 2 }],
      ['rules.1.serviceLevels', 'carrierSettings.errors.ruleLevels', { value: '', row: 2 }],
      ['rules.1.countries', 'carrierSettings.errors.ruleCountry', { value: 'MARS', row: 2 }],
      ['rules.1.maxWeightGrams', 'carrierSettings.errors.ruleWeight', { value: 'heavy', row: 2 }],
      ['rules.1.priority', 'carrierSettings.errors.rulePriority', { value: '-1', row: 2 }],
      ['rules.1.cost', 'carrierSettings.errors.ruleCost', { value: '1.234', row: 2 }],
      ['rules.1.costPerKg', 'carrierSettings.errors.ruleCostPerKg', { value: '-2', row: 2 }],
    ]);
    expect(await carrier('sf')).toEqual(before);
    expect((await sql('select count(*) as n from audit_event'))[0].n).toBe(auditRows);
    // Not even a JSON body of the wrong shape gets past the check.
    expect(
      (
        await refusal(saveCarrier(db.orm, 'sf', { name: 'SF', trackingUrlTemplate: before.trackingUrlTemplate, active: 'yes', rules: 'all' }, actor))
      ).errors!.map((x) => x.field),
    ).toEqual(['active', 'rules']);
    await expect(saveCarrier(db.orm, 'no-such', form(before), actor)).rejects.toMatchObject({ status: 404 });
    expect((await refusal(previewCarrier(db.orm.em.fork(), { country: 'XX', weightGrams: '0', serviceLevel: 'pickup' }))).errors!.map((x) => x.field)).toEqual([
      'country',
      'weightGrams',
      'serviceLevel',
    ]);
  });
});
