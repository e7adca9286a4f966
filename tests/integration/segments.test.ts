// Customer segments (RFM) and product affinity against the real tables. On top of the demo data, a few
// customers with known orders (recent big spenders, one long gone, one with only cancelled orders, one
// paying in EUR); every customer's recency, frequency, monetary value, scores and segment must equal a
// computation done here from the raw orders. Tagging a segment tags exactly its customers and audits it;
// a bad tag is refused with 422 and writes nothing. A known basket pattern gives known support,
// confidence and lift, and the recommendations that follow from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { currencyExponent } from '../../app/lib/money.ts';
import { productPairs, recommendationsFor } from '../../app/modules/analytics/affinity.server.ts';
import { segmentFor, type Segment } from '../../app/modules/analytics/rfm.ts';
import { rfmCustomers, segmentReport, tagSegment } from '../../app/modules/analytics/rfm.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { signIn, type Browser } from '../support/http.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'segments test' };
const BASE = 'USD';
const DAY = 86_400_000;
const asOf = new Date();
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(q, p);
const one = async <T = Record<string, unknown>>(q: string, p: unknown[] = []) => (await sql<T>(q, p))[0];
let n = 0;

async function customer(email: string): Promise<number> {
  return (
    await one<{ id: number }>(
      `insert into customer (email, name, locale, addresses, tags, tier, created_at) values (?, ?, 'en', '[]', '{}', 'standard', now()) returning id`,
      [email, `Segment ${email}`],
    )
  ).id;
}

/** An order placed `daysAgo` days before asOf, of the given products (one unit each at `each`). */
async function order(customerId: number, daysAgo: number, opts: { total?: number; currency?: string; status?: string; products?: number[] } = {}) {
  const placed = new Date(asOf.getTime() - daysAgo * DAY);
  const total = opts.total ?? 10_000;
  const { id } = await one<{ id: number }>(
    `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, total_base_minor, status, payment_method,
                              shipping_address, placed_at, created_at, updated_at)
     values ((select id from channel where code = 'web'), ?, ?, ?, ?, ?, ?, ?, 'manual', '{"line1":"1 Main St","city":"Boston","country":"US"}', ?, ?, ?) returning id`,
    [`SEG-${++n}`, customerId, opts.currency ?? 'USD', total, total, total, opts.status ?? 'shipped', placed, placed, placed],
  );
  for (const p of opts.products ?? []) {
    await sql(
      `insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor) select ?, id, sku, name, 1, 100, 100 from product where id = ?`,
      [id, p],
    );
  }
  return id;
}

/** R, F, M, scores and segment of every customer, worked out here from the raw orders. */
async function expected() {
  const rates = new Map(
    (await sql<{ currency: string; rate_per_base: string }>('select currency, rate_per_base from exchange_rate')).map((r) => [r.currency, r]),
  );
  const factor = (currency: string) => (currency === BASE ? 1 : rates.has(currency) ? 1.25 : 0);
  const orders = await sql<{ customer_id: number; placed_at: Date; total_minor: number; currency: string }>(
    `select customer_id, placed_at, total_minor, currency from sales_order where status <> 'cancelled' and placed_at <= ?`,
    [asOf],
  );
  const since = asOf.getTime() - 365 * DAY;
  const by = new Map<number, { last: number; frequency: number; money: number }>();
  for (const o of orders) {
    const c = by.get(Number(o.customer_id)) ?? { last: 0, frequency: 0, money: 0 };
    const at = new Date(o.placed_at).getTime();
    c.last = Math.max(c.last, at);
    if (at > since) {
      c.frequency += 1;
      c.money += Number(o.total_minor) * factor(o.currency);
    }
    by.set(Number(o.customer_id), c);
  }
  const rows = [...by].map(([id, c]) => ({
    id,
    recencyDays: Math.floor((asOf.getTime() - c.last) / DAY),
    frequency: c.frequency,
    monetary: Math.round(c.money),
  }));
  const score = (sorted: typeof rows) => {
    const out = new Map<number, number>();
    const size = Math.floor(sorted.length / 5);
    const larger = sorted.length % 5;
    let i = 0;
    for (let q = 1; q <= 5; q++) for (let k = 0; k < size + (q <= larger ? 1 : 0); k++) out.set(sorted[i++].id, q);
    return out;
  };
  const r = score([...rows].sort((a, b) => b.recencyDays - a.recencyDays || a.id - b.id));
  const f = score([...rows].sort((a, b) => a.frequency - b.frequency || a.id - b.id));
  const m = score([...rows].sort((a, b) => a.monetary - b.monetary || a.id - b.id));
  return new Map(
    rows.map((row) => {
      const s = { r: r.get(row.id)!, f: f.get(row.id)!, m: m.get(row.id)! };
      return [row.id, { ...row, ...s, segment: segmentFor(s) }];
    }),
  );
}

const ids: Record<string, number> = {};

beforeAll(async () => {
  db = await createTestDatabase('seg');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  // Exact factors: every rate is 0.8 units of the currency's major unit per dollar, so 1 minor unit of any currency is 1.25 cents.
  for (const { currency } of await sql<{ currency: string }>('select currency from exchange_rate')) {
    await sql('update exchange_rate set rate_per_base = ? where currency = ?', [0.8 * 10 ** (2 - currencyExponent(currency)), currency]);
  }
  ids.star = await customer('star@segments.test');
  for (let i = 0; i < 30; i++) await order(ids.star, 1 + i, { total: 500_000 });
  ids.gone = await customer('gone@segments.test');
  await order(ids.gone, 900, { total: 1_000 });
  ids.cancelled = await customer('cancelled@segments.test');
  await order(ids.cancelled, 3, { status: 'cancelled', total: 900_000 });
  ids.euro = await customer('euro@segments.test');
  await order(ids.euro, 10, { currency: 'EUR', total: 8_000 });
  await order(ids.euro, 400, { total: 50_000 });
  await order(ids.euro, 2, { status: 'cancelled', total: 70_000 });
});
afterAll(async () => {
  await db?.drop();
});

describe('RFM', () => {
  it('works out recency, frequency and monetary value in the base currency, without cancelled orders', async () => {
    const rows = new Map((await rfmCustomers(db.orm.em.fork(), { base: BASE, asOf })).map((c) => [c.customerId, c]));
    expect(rows.get(ids.star)).toMatchObject({ recencyDays: 1, frequency: 30, monetary: 15_000_000, r: 5, f: 5, m: 5, segment: 'champions' });
    expect(rows.get(ids.gone)).toMatchObject({ recencyDays: 900, frequency: 0, monetary: 0, r: 1 });
    expect(rows.has(ids.cancelled)).toBe(false);
    // 80.00 EUR = 100.00 USD; the order 400 days ago is outside the year and the cancelled one never counts.
    expect(rows.get(ids.euro)).toMatchObject({ recencyDays: 10, frequency: 1, monetary: 10_000 });
  });

  it('scores and segments every customer as a computation from the raw orders does', async () => {
    const want = await expected();
    const got = await rfmCustomers(db.orm.em.fork(), { base: BASE, asOf });
    expect(got.length).toBe(want.size);
    expect(got.length).toBeGreaterThan(10);
    for (const c of got) {
      const w = want.get(c.customerId)!;
      expect({ id: c.customerId, ...pick(c) }, `customer ${c.customerId}`).toEqual({ id: w.id, ...pick(w) });
    }
    const report = await segmentReport(db.orm.em.fork(), { base: BASE, asOf });
    const sizes = Object.fromEntries(report.segments.map((s) => [s.segment, s.customers]));
    const counted: Record<string, number> = Object.fromEntries(report.segments.map((s) => [s.segment, 0]));
    for (const w of want.values()) counted[w.segment] += 1;
    expect(sizes).toEqual(counted);
    const champions = report.segments.find((s) => s.segment === 'champions')!;
    const members = [...want.values()].filter((w) => w.segment === 'champions');
    expect(champions.revenue).toBe(members.reduce((a, w) => a + w.monetary, 0));
    expect(champions.orders).toBe(members.reduce((a, w) => a + w.frequency, 0));
  });
});

const pick = (c: { recencyDays: number; frequency: number; monetary: number; r: number; f: number; m: number; segment: Segment }) => ({
  recencyDays: c.recencyDays,
  frequency: c.frequency,
  monetary: c.monetary,
  r: c.r,
  f: c.f,
  m: c.m,
  segment: c.segment,
});

describe('tagging a segment', () => {
  const tagged = async (tag: string) =>
    (await sql<{ id: number }>('select id from customer where ? = any(tags) order by id', [tag])).map((r) => Number(r.id)).sort((a, b) => a - b);
  const audits = async (action: string) => Number((await one<{ n: string }>('select count(*) as n from audit_event where action = ?', [action])).n);

  it('adds the tag to exactly the customers of the segment, audited', async () => {
    const want = [...(await expected()).values()]
      .filter((w) => w.segment === 'champions')
      .map((w) => w.id)
      .sort((a, b) => a - b);
    expect(want).toContain(ids.star);
    const bulkBefore = await audits('customer.bulk_tagged');
    const r = await tagSegment(db.orm, 'champions', '  Spring-Promo ', actor, { base: BASE, asOf });
    expect(r).toMatchObject({ segment: 'champions', tag: 'spring-promo', already: [], full: [] });
    expect([...r.tagged].sort((a, b) => a - b)).toEqual(want);
    expect(await tagged('spring-promo')).toEqual(want);
    expect(await audits('customer.bulk_tagged')).toBe(bulkBefore + 1);
    const summary = await one<{ after: Record<string, unknown>; actor_label: string }>(
      `select after, actor_label from audit_event where action = 'customer.bulk_tagged' order by id desc limit 1`,
    );
    expect(summary).toMatchObject({ actor_label: 'segments test', after: { tag: 'spring-promo', reason: 'segment:champions', tagged: want.length } });
    const perCustomer = await sql<{ entity_id: string }>(
      `select entity_id from audit_event where action = 'customer.tags_updated' and after->>'reason' = 'segment:champions'`,
    );
    expect(perCustomer.map((a) => Number(a.entity_id)).sort((a, b) => a - b)).toEqual(want);

    // Again: nobody is tagged twice.
    const again = await tagSegment(db.orm, 'champions', 'spring-promo', actor, { base: BASE, asOf });
    expect(again.tagged).toEqual([]);
    expect(again.already.length).toBe(want.length);
    const star = await one<{ tags: string[] }>('select tags from customer where id = ?', [ids.star]);
    expect(star.tags.filter((t) => t === 'spring-promo')).toHaveLength(1);
  });

  it('refuses a bad tag with 422 and writes nothing', async () => {
    const before = await sql('select id, tags from customer order by id');
    const auditBefore = await one<{ n: string }>('select count(*) as n from audit_event');
    for (const bad of ['not a tag!', '', 'x'.repeat(31)]) {
      const e = await tagSegment(db.orm, 'lost', bad, actor, { base: BASE, asOf }).catch((x: unknown) => x);
      expect(e, bad).toBeInstanceOf(DomainError);
      expect((e as DomainError).status).toBe(422);
      expect((e as DomainError).errors?.[0]).toMatchObject({ field: 'tag' });
    }
    expect(await sql('select id, tags from customer order by id')).toEqual(before);
    expect(await one('select count(*) as n from audit_event')).toEqual(auditBefore);
  });
});

describe('product affinity', () => {
  const product = async (sku: string) =>
    (
      await one<{ id: number }>(
        `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency, active)
         values (?, ?, ?, 100, 10, 10, 10, 1000, 'USD', true) returning id`,
        [sku, `B-${sku}`, `Product ${sku}`],
      )
    ).id;
  const p: Record<string, number> = {};
  const c: Record<string, number> = {};

  beforeAll(async () => {
    for (const sku of ['AFF-A', 'AFF-B', 'AFF-C', 'AFF-D']) p[sku.slice(-1)] = await product(sku);
    for (const name of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7']) c[name] = await customer(`${name}@affinity.test`);
    // Within the last 180 days: A with B three times (three customers), A with C twice, B with C once, D alone.
    await order(c.x1, 5, { products: [p.A, p.B] });
    await order(c.x2, 6, { products: [p.A, p.B] });
    await order(c.x3, 7, { products: [p.A, p.B, p.C] });
    await order(c.x4, 8, { products: [p.A, p.C] });
    await order(c.x5, 9, { products: [p.D] });
    await order(c.x6, 10, { products: [p.A] });
    // Never counted: a cancelled order and one older than 180 days, both with A and D.
    await order(c.x6, 11, { products: [p.A, p.D], status: 'cancelled' });
    await order(c.x5, 200, { products: [p.A, p.D] });
    // The customer to recommend to bought A only, long ago.
    await order(c.x7, 250, { products: [p.A] });
  });

  /** Orders with lines in the window, not cancelled: the N of support and lift. */
  const baskets = async () =>
    Number(
      (
        await one<{ n: string }>(
          `select count(distinct o.id) as n from sales_order o join order_line l on l.order_id = o.id
            where o.status <> 'cancelled' and o.placed_at > ? and o.placed_at <= ?`,
          [new Date(asOf.getTime() - 180 * DAY), asOf],
        )
      ).n,
    );

  it('gives each pair its support, confidence both ways and lift', async () => {
    const N = await baskets();
    expect(N).toBeGreaterThan(10);
    const pairs = (await productPairs(db.orm.em.fork(), { asOf, limit: 100_000 })).filter((x) => x.a.sku.startsWith('AFF-'));
    expect(pairs.map((x) => `${x.a.sku}+${x.b.sku}`).sort()).toEqual(['AFF-A+AFF-B', 'AFF-A+AFF-C']); // B+C is in one basket only
    const ab = pairs.find((x) => x.b.sku === 'AFF-B')!;
    expect(ab).toMatchObject({ orders: 3, customers: 3 });
    expect(ab.support).toBeCloseTo(3 / N, 10);
    expect(ab.confidenceAB).toBeCloseTo(3 / 5, 10);
    expect(ab.confidenceBA).toBeCloseTo(1, 10);
    expect(ab.lift).toBeCloseTo((3 * N) / (5 * 3), 8);
    const ac = pairs.find((x) => x.b.sku === 'AFF-C')!;
    expect(ac).toMatchObject({ orders: 2, customers: 2 });
    expect(ac.confidenceAB).toBeCloseTo(2 / 5, 10);
    expect(ac.lift).toBeCloseTo((2 * N) / (5 * 2), 8);
    // With one basket enough, B+C is there too.
    const bc = (await productPairs(db.orm.em.fork(), { asOf, minOrders: 1, limit: 100_000 })).find((x) => x.a.sku === 'AFF-B' && x.b.sku === 'AFF-C')!;
    expect(bc.lift).toBeCloseTo(N / 6, 8);
  });

  it('recommends what goes with what the customer bought, never what they bought, with the reason', async () => {
    const recs = await recommendationsFor(db.orm.em.fork(), c.x7, 10, { asOf });
    expect(recs.map((r) => r.sku)).toEqual(['AFF-B', 'AFF-C']); // same lift: more customers first
    expect(recs[0]).toMatchObject({ because: { sku: 'AFF-A', name: 'Product AFF-A' }, customers: 3, name: 'Product AFF-B' });
    expect(recs[0].confidence).toBeCloseTo(3 / 5, 10);
    expect(recs[1]).toMatchObject({ because: { sku: 'AFF-A' }, customers: 2 });
    expect(await recommendationsFor(db.orm.em.fork(), c.x7, 1, { asOf })).toHaveLength(1);
    // x3 bought A, B and C; nothing in the window goes with them but each other.
    expect((await recommendationsFor(db.orm.em.fork(), c.x3, 10, { asOf })).filter((r) => r.sku.startsWith('AFF-'))).toEqual([]);
    // An inactive product is not recommended.
    await sql(`update product set active = false where sku = 'AFF-B'`);
    expect((await recommendationsFor(db.orm.em.fork(), c.x7, 10, { asOf })).map((r) => r.sku)).toEqual(['AFF-C']);
    await sql(`update product set active = true where sku = 'AFF-B'`);
  });
});

describe('the segments page over HTTP', () => {
  let app: TestApp;
  let ops: Browser;
  const appSql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => app.db.orm.em.fork().getConnection().execute<T[]>(q, p);
  const state = async () =>
    JSON.stringify(
      await appSql(
        `select (select json_agg(c.tags order by c.id) from customer c) as tags, (select count(*) from audit_event where action like 'customer.%') as audits`,
      ),
    );
  beforeAll(async () => {
    app = await startTestApp({ worker: false });
    ops = await signIn(app, 'ops_manager');
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('is linked from /analytics and lists the segments, a segment its customers', async () => {
    expect(await (await ops.get('/analytics')).text()).toContain('href="/analytics/customers"');
    const page = await ops.get('/analytics/customers');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-testid="segments-table"');
    expect(html).toContain('Potential loyalists');
    const members = await rfmCustomers(app.db.orm.em.fork(), { base: BASE });
    const segment = members[0].segment;
    const drill = await (await ops.get(`/analytics/customers?segment=${segment}`)).text();
    expect(drill).toContain(`href="/customers/${members[0].customerId}"`);
    expect(drill).toContain('data-testid="tag-segment-form"');
    expect(drill).toContain('data-testid="export-segment"');
    expect(await (await ops.get(`/customers/${members[0].customerId}`)).text()).toContain('Recommended for this customer');
  });

  it('tags a segment for service.manage with analytics.view; refuses a bad tag (422) and other roles (403), writing nothing', async () => {
    const members = await rfmCustomers(app.db.orm.em.fork(), { base: BASE });
    const segment = members[0].segment;
    const want = members.filter((m) => m.segment === segment).map((m) => m.customerId);
    const before = await state();
    const bad = await ops.post(`/analytics/customers?segment=${segment}`, { segment, tag: 'Not OK!' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('aria-invalid="true"');
    const elsewhere = await ops.post('/analytics/customers', { segment, tag: 'Not OK!' });
    expect(elsewhere.status).toBe(422);
    expect(await elsewhere.text()).toContain('is not a valid tag');
    expect((await ops.post('/analytics/customers', { segment: 'nobody', tag: 'fine' })).status).toBe(422);
    expect((await (await signIn(app, 'executive')).post('/analytics/customers', { segment, tag: 'fine' })).status).toBe(403);
    expect((await (await signIn(app, 'agent')).post('/analytics/customers', { segment, tag: 'fine' })).status).toBe(403);
    expect(await state()).toBe(before);
    const ok = await ops.post(`/analytics/customers?segment=${segment}`, { segment, tag: 'http-campaign' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('data-testid="tagged"');
    const tagged = await appSql<{ id: number }>(`select id from customer where 'http-campaign' = any(tags) order by id`);
    expect(tagged.map((r) => Number(r.id))).toEqual([...want].sort((a, b) => a - b));
  });
});
