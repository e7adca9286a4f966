import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { toBaseMinor } from '../../app/lib/money.ts';
import { getCustomer, listCustomers, parseCustomerFilters } from '../../app/modules/customers/queries.server.ts';
import { recomputeAllTiers, recomputeTierNow, updateProfile, updateTags } from '../../app/modules/customers/service.server.ts';
import { tierFor } from '../../app/modules/customers/tiers.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { cancelOrder } from '../../app/modules/orders/service.server.ts';
import { listExchangeRates, saveExchangeRate } from '../../app/modules/settings/exchange-rates.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'tester' };
const BASE = 'USD';
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('cust');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  await sql(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('CUST-1', 'CUST1', 'Thing', 1, 1, 1, 1, 1000, 'USD')`,
  );
  await sql(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at) select p.id, w.id, 100000, 0, 0, 0, now() from product p, warehouse w where p.sku = 'CUST-1'`,
  );
  // Round rates, so the expected figures are exact: 1 USD = 0.8 EUR = 8 CNY.
  await sql(`update exchange_rate set rate_per_base = 0.8 where currency = 'EUR'`);
  await sql(`update exchange_rate set rate_per_base = 8 where currency = 'CNY'`);
});
afterAll(async () => {
  await db.drop();
});

/** An order of one line worth `total` minor units of `currency`, through the real intake (CSV channel takes every currency). */
async function order(email: string, currency: string, total: number) {
  const r = await createOrder(
    db.orm,
    {
      channel: 'csv',
      externalId: `CUST-${++n}`,
      customer: { email, name: `Customer ${email}` },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency,
      lines: [{ sku: 'CUST-1', quantity: 1, unitPrice: total }],
      paymentMethod: 'test-card',
    },
    { actor, baseCurrency: BASE },
  );
  if (r.replayed) throw new Error('replayed');
  return r.order.id;
}
const customerId = async (email: string) => Number((await sql('select id from customer where email = ?', [email]))[0].id);
const detail = async (email: string) => (await getCustomer(db.orm.em.fork(), await customerId(email), { base: BASE }))!;
const auditCount = async (action: string, entityId?: string | number) =>
  Number(
    (
      await sql(
        `select count(*) as n from audit_event where action = ?${entityId === undefined ? '' : ' and entity_id = ?'}`,
        entityId === undefined ? [action] : [action, String(entityId)],
      )
    )[0].n,
  );

describe('lifetime value', () => {
  const email = 'ltv@example.com';

  it('converts each order to the base currency at the current rate and adds them up', async () => {
    await order(email, 'USD', 10_000); // 100.00 USD
    await order(email, 'EUR', 8_000); // 80.00 EUR = 100.00 USD
    await order(email, 'CNY', 80_000); // 800.00 CNY = 100.00 USD
    const c = await detail(email);
    expect(c.stats).toMatchObject({ ltv: 30_000, ordersCount: 3, allOrders: 3, aov: 10_000, returns: 0 });
    expect(c.history.rows.map((o) => o.currency)).toEqual(['CNY', 'EUR', 'USD']); // newest first
    expect(c.history.rows[0]).toMatchObject({ total: 80_000, status: expect.any(String), number: expect.stringMatching(/^SO-/) });

    // A rate that does not divide evenly: 100.00 TWD at 32.1 adds 3.115… USD, rounded once.
    await order(email, 'TWD', 10_000);
    expect((await detail(email)).stats.ltv).toBe(30_000 + toBaseMinor(10_000, 'TWD', 'USD', 32.1));

    const list = await listCustomers(db.orm.em.fork(), parseCustomerFilters(new URLSearchParams({ q: email })), BASE);
    expect(list.rows).toEqual([expect.objectContaining({ email, ltv: 30_312, ordersCount: 4 })]);
  });

  it('leaves cancelled orders out of value, count and average', async () => {
    const cancelled = await order(email, 'EUR', 40_000); // 500.00 USD, then cancelled
    expect((await detail(email)).stats.ltv).toBe(80_312);
    await cancelOrder(db.orm, cancelled, actor, 'changed mind');
    const c = await detail(email);
    expect(c.stats).toMatchObject({ ltv: 30_312, ordersCount: 4, allOrders: 5, aov: Math.round(30_312 / 4) });
    expect(c.history.rows[0]).toMatchObject({ id: cancelled, status: 'cancelled' });
  });

  it('counts returns and sorts the list by value', async () => {
    const [o] = await sql(`select o.id from sales_order o join customer c on c.id = o.customer_id where c.email = ? order by o.id limit 1`, [email]);
    await sql(
      `insert into return_request (number, order_id, status, reason, lines, source, created_at, updated_at) values ('RMA-T1', ?, 'requested', 'damaged', '[]', 'test', now(), now())`,
      [o.id],
    );
    expect((await detail(email)).stats.returns).toBe(1);

    const em = db.orm.em.fork();
    const byLtv = await listCustomers(em, parseCustomerFilters(new URLSearchParams({ sort: 'ltv', dir: 'desc', pageSize: '200' })), BASE);
    const values = byLtv.rows.map((r) => r.ltv);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    const byName = await listCustomers(em, parseCustomerFilters(new URLSearchParams({ sort: 'name', pageSize: '5', page: '2' })), BASE);
    expect(byName.rows).toHaveLength(5);
    expect(byName.total).toBe(Number((await sql('select count(*) as n from customer'))[0].n));
    // Each list row agrees with the customer's own page.
    for (const row of byName.rows) expect((await getCustomer(em, row.id, { base: BASE }))!.stats.ltv).toBe(row.ltv);
  });
});

describe('tiers', () => {
  it('moves a customer up when a new order pushes lifetime value over a threshold, audited', async () => {
    const email = 'climber@example.com';
    await order(email, 'USD', 40_000); // 400.00
    const id = await customerId(email);
    expect((await detail(email)).tier).toBe('standard');
    expect(await auditCount('customer.tier_changed', id)).toBe(0);

    await order(email, 'EUR', 8_000); // + 100.00 USD = 500.00: silver
    expect((await detail(email)).tier).toBe('silver');
    const [event] = await sql(`select actor_label, before, after from audit_event where action = 'customer.tier_changed' and entity_id = ?`, [String(id)]);
    expect(event).toEqual({ actor_label: 'tester', before: { tier: 'standard' }, after: { tier: 'silver', ltv: 50_000, orders: 2, currency: 'USD' } });

    await order(email, 'CNY', 1_200_000); // + 1,500.00 USD = 2,000.00: gold
    expect((await detail(email)).tier).toBe('gold');
    expect(await auditCount('customer.tier_changed', id)).toBe(2);

    // Nothing to change: no update, no audit.
    expect(await recomputeTierNow(db.orm, id, actor, BASE)).toMatchObject({ tier: 'gold', changed: false });
    expect(await auditCount('customer.tier_changed', id)).toBe(2);
  });

  it('applies the rules to the whole base in batches, auditing each change', async () => {
    // The seed already applied the rules; knock some tiers off so there is something to correct.
    await sql(`update customer set tier = case when tier = 'vip' then 'standard' else 'vip' end where id % 3 = 0`);
    const before = await auditCount('customer.tier_changed');
    const summariesBefore = await auditCount('customer.tiers_recomputed');
    const first = await recomputeAllTiers(db.orm, actor, { base: BASE, batchSize: 7 });
    const customers = Number((await sql('select count(*) as n from customer'))[0].n);
    expect(first.checked).toBe(customers);
    expect(first.changed).toBeGreaterThan(0);
    expect(await auditCount('customer.tier_changed')).toBe(before + first.changed);
    expect(await auditCount('customer.tiers_recomputed')).toBe(summariesBefore + 1);
    const em = db.orm.em.fork();
    const all = await listCustomers(em, parseCustomerFilters(new URLSearchParams({ pageSize: '200' })), BASE);
    for (const row of all.rows) {
      const c = (await getCustomer(em, row.id, { base: BASE }))!;
      expect(c.tier, c.email).toBe(tierFor({ ltvBaseMinor: c.stats.ltv, orders: c.stats.ordersCount, baseCurrency: BASE }));
    }
    expect(await recomputeAllTiers(db.orm, actor, { base: BASE, batchSize: 50 })).toEqual({ checked: customers, changed: 0 });
  });
});

describe('profile', () => {
  it('changes name, phone and language only through the explicit update, audited; orders never rename the customer', async () => {
    await order('profile@example.com', 'USD', 1000);
    const id = await customerId('profile@example.com');
    // Another order under the same email with another name leaves the customer as it was; the order keeps its own name.
    const second = await createOrder(
      db.orm,
      {
        channel: 'csv',
        externalId: `CUST-${++n}`,
        customer: { email: 'profile@example.com', name: 'Somebody Else', phone: '+1 555 0100' },
        shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
        currency: 'USD',
        lines: [{ sku: 'CUST-1', quantity: 1, unitPrice: 1000 }],
        paymentMethod: 'test-card',
      },
      { actor, baseCurrency: BASE },
    );
    if (second.replayed) throw new Error('replayed');
    expect(await sql('select name, phone from customer where id = ?', [id])).toEqual([{ name: 'Customer profile@example.com', phone: null }]);
    expect(await sql('select customer_name from sales_order where id = ?', [second.order.id])).toEqual([{ customer_name: 'Somebody Else' }]);

    expect(await updateProfile(db.orm, id, { name: 'Wang Xiaoming 王小明', phone: '+86 (21) 5555-0100', locale: 'zh-CN' }, actor)).toEqual({ changed: true });
    expect(await sql('select name, phone, locale from customer where id = ?', [id])).toEqual([
      { name: 'Wang Xiaoming 王小明', phone: '+86 (21) 5555-0100', locale: 'zh-CN' },
    ]);
    expect(await sql(`select before, after from audit_event where action = 'customer.profile_updated' and entity_id = ?`, [String(id)])).toEqual([
      {
        before: { name: 'Customer profile@example.com', phone: null, locale: 'en' },
        after: { name: 'Wang Xiaoming 王小明', phone: '+86 (21) 5555-0100', locale: 'zh-CN' },
      },
    ]);
    expect(await updateProfile(db.orm, id, { name: 'Wang Xiaoming 王小明', phone: '+86 (21) 5555-0100', locale: 'zh-CN' }, actor)).toEqual({ changed: false });
    // An extension, as the demo's phone numbers have.
    expect(await updateProfile(db.orm, id, { name: 'Wang Xiaoming 王小明', phone: '(789) 255-6573 x44228', locale: 'zh-CN' }, actor)).toEqual({
      changed: true,
    });
  });

  it('refuses a bad profile by field and writes nothing', async () => {
    const id = await customerId('profile@example.com');
    const audits = await auditCount('customer.profile_updated');
    const err = await updateProfile(db.orm, id, { name: ' ', phone: 'call me', locale: 'fr', email: 'x@example.com' }, actor).catch((e) => e);
    expect(err).toMatchObject({ status: 422, code: 'validation_failed' });
    expect(err.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`).sort()).toEqual([
      '_:unrecognized_keys',
      'locale:invalid_value',
      'name:too_small',
      'phone:invalid_phone',
    ]);
    expect(await auditCount('customer.profile_updated')).toBe(audits);
  });
});

describe('tags', () => {
  it('saves normalised tags with an audit event holding before and after', async () => {
    const id = await customerId('ltv@example.com');
    await sql(`update customer set tags = '{newsletter}' where id = ?`, [id]);
    expect(await updateTags(db.orm, id, [' VIP-Lounge ', 'b2b', 'B2B'], actor)).toEqual({ tags: ['vip-lounge', 'b2b'], changed: true });
    expect((await detail('ltv@example.com')).tags).toEqual(['vip-lounge', 'b2b']);
    expect(await sql(`select actor_label, before, after from audit_event where action = 'customer.tags_updated' and entity_id = ?`, [String(id)])).toEqual([
      { actor_label: 'tester', before: { tags: ['newsletter'] }, after: { tags: ['vip-lounge', 'b2b'] } },
    ]);
    // The same list again changes nothing and records nothing.
    expect(await updateTags(db.orm, id, ['vip-lounge', 'b2b'], actor)).toEqual({ tags: ['vip-lounge', 'b2b'], changed: false });
    expect(await auditCount('customer.tags_updated', id)).toBe(1);
    // The tag filter and the tag search find the customer.
    const em = db.orm.em.fork();
    expect((await listCustomers(em, parseCustomerFilters(new URLSearchParams({ tag: 'vip-lounge' })), BASE)).rows.map((r) => r.id)).toEqual([id]);
    expect((await listCustomers(em, parseCustomerFilters(new URLSearchParams({ q: 'lounge' })), BASE)).rows.map((r) => r.id)).toEqual([id]);
  });

  it('refuses bad tags by field and writes nothing', async () => {
    const id = await customerId('ltv@example.com');
    const audits = await auditCount('customer.tags_updated');
    const err = await updateTags(db.orm, id, ['ok', 'Not Valid!', 'x'.repeat(31)], actor).catch((e) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ status: 422, code: 'validation_failed' });
    expect(err.errors).toEqual([
      expect.objectContaining({ field: 'tags.1', code: 'invalid_tag', messageKey: 'customers.errors.tagFormat', params: { tag: 'Not Valid!' } }),
      expect.objectContaining({ field: 'tags.2', code: 'tag_too_long', params: { tag: 'x'.repeat(31), max: 30 } }),
    ]);
    const tooMany = await updateTags(
      db.orm,
      id,
      Array.from({ length: 11 }, (_, i) => `t${i}`),
      actor,
    ).catch((e) => e);
    expect(tooMany.errors).toEqual([expect.objectContaining({ field: 'tags', code: 'too_many_tags', params: { max: 10 } })]);
    expect((await updateTags(db.orm, id, 'b2b', actor).catch((e) => e)).errors).toEqual([expect.objectContaining({ field: 'tags' })]);
    expect((await detail('ltv@example.com')).tags).toEqual(['vip-lounge', 'b2b']);
    expect(await auditCount('customer.tags_updated')).toBe(audits);
    await expect(updateTags(db.orm, 999_999, ['x'], actor)).rejects.toMatchObject({ status: 404 });
  });
});

describe('exchange rates', () => {
  const rates = async () =>
    Object.fromEntries(
      (await sql<{ currency: string; r: string }>('select currency, rate_per_base::text as r from exchange_rate order by currency')).map((x) => [
        x.currency,
        x.r,
      ]),
    );

  it('lists the base currency first, fixed at 1', async () => {
    const list = await listExchangeRates(db.orm.em.fork(), BASE);
    expect(list[0]).toMatchObject({ currency: 'USD', ratePerBase: '1', isBase: true });
    expect(list.find((r) => r.currency === 'EUR')).toMatchObject({ ratePerBase: '0.8', isBase: false });
  });

  it('updates a rate and adds a currency, audited, and lifetime value follows the current rate', async () => {
    const ltv = (await detail('ltv@example.com')).stats.ltv;
    expect(await saveExchangeRate(db.orm, { currency: 'eur', rate: '0.4' }, actor, BASE)).toEqual({
      currency: 'EUR',
      ratePerBase: '0.4',
      created: false,
      changed: true,
    });
    expect(await sql(`select actor_label, entity_id, before, after from audit_event where action = 'exchange_rate.updated'`)).toEqual([
      { actor_label: 'tester', entity_id: 'EUR', before: { ratePerBase: '0.8' }, after: { ratePerBase: '0.4', base: 'USD' } },
    ]);
    // The customer's 80.00 EUR order is now worth 200.00 USD instead of 100.00.
    expect((await detail('ltv@example.com')).stats.ltv).toBe(ltv + 10_000);

    expect(await saveExchangeRate(db.orm, { currency: 'CHF', rate: '0.88123456' }, actor, BASE)).toMatchObject({ created: true, ratePerBase: '0.88123456' });
    expect((await rates()).CHF).toBe('0.88123456');
    expect(await auditCount('exchange_rate.created', 'CHF')).toBe(1);
  });

  it('refuses bad input by field and writes nothing', async () => {
    const before = await rates();
    const audits = Number((await sql(`select count(*) as n from audit_event where entity_type = 'ExchangeRate'`))[0].n);
    const fields = async (raw: Record<string, unknown>) => {
      const e = await saveExchangeRate(db.orm, raw, actor, BASE).catch((x: unknown) => x);
      expect(e, JSON.stringify(raw)).toBeInstanceOf(DomainError);
      const err = e as DomainError;
      expect(err.status).toBe(422);
      return Object.fromEntries(err.errors!.map((x) => [x.field, x.code]));
    };
    expect(await fields({ currency: 'XYZ', rate: '-1' })).toEqual({ currency: 'unknown_currency', rate: 'invalid_rate' });
    expect(await fields({ currency: 'EURO', rate: 'abc' })).toEqual({ currency: 'invalid_currency', rate: 'invalid_rate' });
    expect(await fields({ currency: 'JPY', rate: '0' })).toEqual({ rate: 'rate_not_positive' });
    expect(await fields({ currency: 'JPY', rate: '1.123456789' })).toEqual({ rate: 'invalid_rate' });
    expect(await fields({ currency: 'usd', rate: '2' })).toEqual({ currency: 'base_currency' });
    expect(await fields({})).toEqual({ currency: 'required', rate: 'required' });
    expect(await rates()).toEqual(before);
    expect(Number((await sql(`select count(*) as n from audit_event where entity_type = 'ExchangeRate'`))[0].n)).toBe(audits);
  });
});
