import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { createPayment } from '../../app/modules/payments/service.server.ts';
import { createPickLists, pickListsForOrders } from '../../app/modules/fulfilment/service.server.ts';
import { getWarehouse, listBins, listWarehouses, listZones, saveWarehouse, setBin } from '../../app/modules/settings/warehouses.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { auditEvents, refusal } from '../support/domain.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, type: 'user' as const, id: 1, label: 'admin@test' };
const sql = (q: string, p: unknown[] = []) => db.orm.em.getConnection().execute(q, p);
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('setwh');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  // Only this file's orders wait for picking.
  await sql(`update sales_order set status = 'completed' where status in ('paid', 'allocated', 'picking', 'packed')`);
  for (const [sku, bin] of [
    ['WH-A', 'A-01-1'],
    ['WH-B', 'B-02-1'],
    ['WH-C', 'C-03-1'],
  ]) {
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 500, 1, 1, 1, 1000, 'USD')`,
      [sku, `BC-${sku}`, `Item ${sku}`],
    );
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
               select p.id, w.id, case when w.code = 'EWR' then 100 else 0 end, 0, 0, 0, ?, now() from product p, warehouse w where p.sku = ?`,
      [bin, sku],
    );
  }
});
afterAll(async () => {
  await db.drop();
});

const form = (w: Awaited<ReturnType<typeof getWarehouse>> & object, change: Record<string, unknown> = {}) => ({
  name: w.name,
  line1: w.line1,
  city: w.city,
  postalCode: w.postalCode ?? '',
  country: w.country,
  lat: String(w.lat),
  lng: String(w.lng),
  active: w.active,
  pickMethod: w.pickMethod,
  pickBatchSize: String(w.pickBatchSize),
  ...change,
});
const warehouse = async (code: string) => (await getWarehouse(db.orm.em.fork(), code))!;

async function paidOrder(lines: { sku: string; quantity: number }[]) {
  const r = await createOrder(
    db.orm,
    {
      channel: 'web',
      externalId: `SETWH-${++n}`,
      customer: { email: 'wh@example.com', name: 'Wh Settings' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: lines.map((l) => ({ ...l, unitPrice: 1000 })),
      paymentMethod: 'manual',
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  await createPayment(db.orm, r.order.id, { provider: 'manual', method: 'cash' }, `pay-${r.order.id}`, actor);
  return r.order;
}

describe('editing a warehouse', () => {
  it('lists every warehouse with its stock', async () => {
    const list = await listWarehouses(db.orm.em.fork());
    expect(list.map((w) => w.code)).toEqual(['EWR', 'RNO', 'SHA', 'TPE']);
    expect(list[0]).toMatchObject({ code: 'EWR', pickMethod: 'batch', pickBatchSize: 10, active: true, country: 'US' });
    expect(list[0].skus).toBeGreaterThan(3);
  });

  it('saves the fields that changed, audited with before and after, and nothing when nothing changed', async () => {
    const before = await warehouse('RNO');
    const r = await saveWarehouse(
      db.orm,
      'RNO',
      form(before, { name: 'Reno DC 2', lat: '39.5', lng: '-119.75', pickMethod: 'wave', pickBatchSize: '25', postalCode: ' ' }),
      actor,
    );
    expect(r).toMatchObject({ created: false, changed: ['name', 'postalCode', 'lat', 'lng', 'pickMethod', 'pickBatchSize'] });
    expect(await warehouse('RNO')).toMatchObject({ name: 'Reno DC 2', postalCode: null, lat: 39.5, lng: -119.75, pickMethod: 'wave', pickBatchSize: 25 });
    expect(await auditEvents(db, 'warehouse.updated')).toEqual([
      {
        actor_label: 'admin@test',
        entity_id: String(before.id),
        before: { name: 'Reno DC', postalCode: '89431', lat: before.lat, lng: before.lng, pickMethod: 'single', pickBatchSize: 10 },
        after: { code: 'RNO', name: 'Reno DC 2', postalCode: null, lat: 39.5, lng: -119.75, pickMethod: 'wave', pickBatchSize: 25 },
      },
    ]);
    const again = await saveWarehouse(db.orm, 'RNO', form(await warehouse('RNO')), actor);
    expect(again.changed).toEqual([]);
    expect(await auditEvents(db, 'warehouse.updated')).toHaveLength(1);
  });

  it('refuses bad input by field, in one answer, and writes nothing', async () => {
    const before = await warehouse('SHA');
    const auditRows = (await sql('select count(*) as n from audit_event'))[0].n;
    const e = await refusal(
      saveWarehouse(db.orm, 'SHA', form(before, { name: '', country: 'China', lat: '120', lng: 'x', pickMethod: 'telepathy', pickBatchSize: '0' }), actor),
    );
    expect(e.status).toBe(422);
    expect(e.errors!.map((x) => [x.field, x.messageKey])).toEqual([
      ['name', 'warehouseSettings.errors.nameRequired'],
      ['country', 'warehouseSettings.errors.countryInvalid'],
      ['lat', 'warehouseSettings.errors.latRange'],
      ['lng', 'warehouseSettings.errors.lngRange'],
      ['pickMethod', 'warehouseSettings.errors.pickMethodInvalid'],
      ['pickBatchSize', 'warehouseSettings.errors.pickBatchSizeRange'],
    ]);
    expect(e.errors!.find((x) => x.field === 'lat')!.params).toEqual({ value: '120' });
    expect(await warehouse('SHA')).toEqual(before);
    expect((await sql('select count(*) as n from audit_event'))[0].n).toBe(auditRows);
    await expect(saveWarehouse(db.orm, 'NOPE', form(before), actor)).rejects.toMatchObject({ status: 404 });
  });

  it('rolls the change back when its audit event cannot be written (one transaction)', async () => {
    const before = await warehouse('TPE');
    await sql(
      `create function no_wh_audit() returns trigger language plpgsql as $$ begin if new.action = 'warehouse.updated' then raise exception 'audit store full'; end if; return new; end $$`,
    );
    await sql(`create trigger no_wh_audit before insert on audit_event for each row execute function no_wh_audit()`);
    try {
      await expect(saveWarehouse(db.orm, 'TPE', form(before, { pickMethod: 'zone' }), actor)).rejects.toThrow(/audit store full/);
    } finally {
      await sql('drop trigger no_wh_audit on audit_event; drop function no_wh_audit()');
    }
    expect(await warehouse('TPE')).toEqual(before);
  });

  it('adds a warehouse once: the code is checked and not taken twice', async () => {
    const input = {
      code: 'lax',
      name: 'Los Angeles DC',
      line1: '1 Dock Rd',
      city: 'Los Angeles',
      postalCode: '90021',
      country: 'us',
      lat: '34.03',
      lng: '-118.23',
      active: true,
      pickMethod: 'zone',
      pickBatchSize: '10',
    };
    expect((await refusal(saveWarehouse(db.orm, null, { ...input, code: 'L' }, actor))).errors).toMatchObject([
      { field: 'code', messageKey: 'warehouseSettings.errors.codeFormat' },
    ]);
    const r = await saveWarehouse(db.orm, null, input, actor);
    expect(r).toMatchObject({ created: true, warehouse: { code: 'LAX', country: 'US', lat: 34.03, pickMethod: 'zone', skus: 0 } });
    expect(await auditEvents(db, 'warehouse.created')).toMatchObject([
      { entity_id: String(r.warehouse.id), before: null, after: { code: 'LAX', name: 'Los Angeles DC', pickMethod: 'zone' } },
    ]);
    const taken = await refusal(saveWarehouse(db.orm, null, { ...input, name: 'Another' }, actor));
    expect(taken.errors).toEqual([{ field: 'code', code: 'code_taken', messageKey: 'warehouseSettings.errors.codeTaken', params: { value: 'LAX' } }]);
    expect((await sql(`select count(*) as n from warehouse where code = 'LAX'`))[0].n).toBe('1');
    expect(await auditEvents(db, 'warehouse.created')).toHaveLength(1);
  });
});

describe('the default picking method', () => {
  it('is the method pick lists are made with when none is chosen, and a chosen one still wins', async () => {
    const ewr = await warehouse('EWR');
    await saveWarehouse(db.orm, 'EWR', form(ewr, { pickMethod: 'zone' }), actor);
    const a = await paidOrder([
      { sku: 'WH-A', quantity: 1 },
      { sku: 'WH-C', quantity: 1 },
    ]);
    const b = await paidOrder([{ sku: 'WH-C', quantity: 2 }]);
    const zone = await createPickLists(db.orm, { warehouse: 'EWR', orderIds: [a.id, b.id] }, actor);
    expect(zone.map((l) => [l.method, l.zone, l.orders])).toEqual([
      ['zone', 'A', 1],
      ['zone', 'C', 2],
    ]);

    await saveWarehouse(db.orm, 'EWR', form(await warehouse('EWR'), { pickMethod: 'batch', pickBatchSize: '2' }), actor);
    const [c, d, e] = [
      await paidOrder([{ sku: 'WH-A', quantity: 1 }]),
      await paidOrder([{ sku: 'WH-B', quantity: 1 }]),
      await paidOrder([{ sku: 'WH-C', quantity: 1 }]),
    ];
    // The fulfilment screen sends an empty method when the default is kept.
    const batch = await createPickLists(db.orm, { warehouse: 'EWR', method: '', size: '', orderIds: [c.id, d.id, e.id] }, actor);
    expect(batch.map((l) => [l.method, l.orders])).toEqual([
      ['batch', 2],
      ['batch', 1],
    ]);

    // The orders list's "print pick lists" takes the warehouse's method too.
    await saveWarehouse(db.orm, 'EWR', form(await warehouse('EWR'), { pickMethod: 'single' }), actor);
    const [f, g] = [await paidOrder([{ sku: 'WH-A', quantity: 1 }]), await paidOrder([{ sku: 'WH-B', quantity: 1 }])];
    expect((await pickListsForOrders(db.orm, { orderIds: [f.id, g.id] }, actor)).created.map((l) => [l.method, l.orders])).toEqual([
      ['single', 1],
      ['single', 1],
    ]);

    const h = await paidOrder([
      { sku: 'WH-A', quantity: 1 },
      { sku: 'WH-B', quantity: 1 },
    ]);
    expect((await createPickLists(db.orm, { warehouse: 'EWR', method: 'zone', orderIds: [h.id] }, actor)).map((l) => l.zone)).toEqual(['A', 'B']);
    await saveWarehouse(db.orm, 'EWR', form(await warehouse('EWR'), { pickMethod: ewr.pickMethod, pickBatchSize: String(ewr.pickBatchSize) }), actor);
  });
});

describe('bins and zones', () => {
  it("moves a SKU to another bin, and so to that zone's pick list, audited", async () => {
    const ewr = await warehouse('EWR');
    const zones = await listZones(db.orm.em.fork(), ewr.id);
    expect(zones.find((z) => z.zone === 'A')).toMatchObject({ skus: expect.any(Number) });
    const r = await setBin(db.orm, 'EWR', { sku: 'BC-WH-B', bin: 'q-07-3' }, actor);
    expect(r).toEqual({ sku: 'WH-B', bin: 'Q-07-3', zone: 'Q', changed: true });
    expect(await listBins(db.orm.em.fork(), ewr.id, 'Q')).toEqual([{ sku: 'WH-B', name: 'Item WH-B', bin: 'Q-07-3', onHand: 100 }]);
    expect(await auditEvents(db, 'inventory.bin_changed')).toMatchObject([
      { before: { bin: 'B-02-1', zone: 'B' }, after: { warehouse: 'EWR', sku: 'WH-B', bin: 'Q-07-3', zone: 'Q' } },
    ]);
    expect((await setBin(db.orm, 'EWR', { sku: 'WH-B', bin: 'Q-07-3' }, actor)).changed).toBe(false);

    const o = await paidOrder([
      { sku: 'WH-A', quantity: 1 },
      { sku: 'WH-B', quantity: 1 },
    ]);
    const lists = await createPickLists(db.orm, { warehouse: 'EWR', method: 'zone', orderIds: [o.id] }, actor);
    expect(lists.map((l) => l.zone)).toEqual(['A', 'Q']);

    // No bin: its own group ("?" on zone lists), and the zone list shows it as having none.
    expect(await setBin(db.orm, 'EWR', { sku: 'WH-C', bin: '' }, actor)).toMatchObject({ bin: null, zone: null, changed: true });
    expect((await listBins(db.orm.em.fork(), ewr.id, null)).map((b) => b.sku)).toContain('WH-C');
    expect((await listZones(db.orm.em.fork(), ewr.id)).at(-1)).toMatchObject({ zone: null });
  });

  it('refuses a bad bin or a SKU the warehouse does not stock, writing nothing', async () => {
    const auditRows = (await sql(`select count(*) as n from audit_event where action = 'inventory.bin_changed'`))[0].n;
    expect((await refusal(setBin(db.orm, 'EWR', { sku: 'WH-A', bin: 'A 01' }, actor))).errors).toMatchObject([
      { field: 'bin', messageKey: 'warehouseSettings.errors.binFormat', params: { value: 'A 01' } },
    ]);
    expect((await refusal(setBin(db.orm, 'EWR', { sku: 'NO-SUCH', bin: 'A-01' }, actor))).errors).toEqual([
      { field: 'sku', code: 'not_stocked', messageKey: 'warehouseSettings.errors.skuNotStocked', params: { value: 'NO-SUCH', warehouse: 'EWR' } },
    ]);
    expect((await refusal(setBin(db.orm, 'EWR', {}, actor))).errors).toMatchObject([{ field: 'sku', messageKey: 'warehouseSettings.errors.skuRequired' }]);
    expect(
      (
        await sql(
          `select bin from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.sku = 'WH-A' and w.code = 'EWR'`,
        )
      )[0].bin,
    ).toBe('A-01-1');
    expect((await sql(`select count(*) as n from audit_event where action = 'inventory.bin_changed'`))[0].n).toBe(auditRows);
  });
});
