// The orders list (listOrders, behind /orders and GET /api/v1/orders) against real PostgreSQL: every
// filter and sort gives exactly the rows a plain reading of the data gives, in the same order, and
// walking the pages (by cursor, backwards, or by offset) neither repeats nor skips a row, even with ties
// in the sort and while new orders arrive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { COUNT_CAP, listOrders, parseOrderFilters, type OrderFilters, type OrderPage } from '../../app/modules/orders/queries.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
let em: EntityManager;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);

interface Truth {
  id: number;
  number: string;
  status: string;
  channel: string;
  external_id: string;
  customer_id: number;
  name: string;
  email: string;
  total_minor: number;
  placed_at: Date;
  placed_us: number;
  warehouse: string | null;
  warehouses: string[];
}
let truth: Truth[] = [];
let statusRank = new Map<string, number>();

/** Every order with what the filters look at, read plainly (no list query involved). */
async function loadTruth() {
  truth = (
    await sql<Truth>(
      `select o.id, o.number, o.status, ch.code as channel, o.external_id, o.customer_id, c.name, c.email, o.total_minor, o.placed_at,
            (extract(epoch from o.placed_at) * 1000000)::bigint as placed_us, w.code as warehouse,
            array(select distinct rw.code from reservation r join warehouse rw on rw.id = r.warehouse_id where r.order_id = o.id) as warehouses
       from sales_order o join channel ch on ch.id = o.channel_id join customer c on c.id = o.customer_id left join warehouse w on w.id = o.warehouse_id`,
    )
  ).map((r) => ({
    ...r,
    id: Number(r.id),
    customer_id: Number(r.customer_id),
    total_minor: Number(r.total_minor),
    placed_at: new Date(r.placed_at),
    placed_us: Number(r.placed_us),
  }));
  // Text sorts as the database collates it.
  statusRank = new Map((await sql<{ s: string }>('select distinct status as s from sales_order order by s')).map((r, i) => [r.s, i]));
}

/** The rows a filter should give, in order: the same rules written plainly. */
function expected(f: OrderFilters): number[] {
  const q = f.q?.toLowerCase();
  const rows = truth.filter(
    (o) =>
      (!f.status?.length || f.status.includes(o.status as never)) &&
      (!f.channel || o.channel === f.channel) &&
      (!f.warehouse || o.warehouse === f.warehouse || (o.warehouse === null && o.warehouses.includes(f.warehouse))) &&
      (!f.customer || o.customer_id === f.customer) &&
      (!f.from || o.placed_at >= new Date(`${f.from}T00:00:00Z`)) &&
      (!f.to || o.placed_at < new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000)) &&
      // Any part from three characters on; shorter input only whole values.
      (!q || [o.number, o.external_id, o.name, o.email].some((s) => (q.length >= 3 ? s.toLowerCase().includes(q) : s.toLowerCase() === q))),
  );
  const keys = (o: Truth): number[] =>
    f.sort === 'placed_at' ? [o.placed_us] : f.sort === 'total' ? [o.total_minor] : f.sort === 'status' ? [statusRank.get(o.status)!, o.placed_us] : [];
  const dir = f.dir === 'asc' ? 1 : -1;
  const compare = (a: Truth, b: Truth) => {
    const ka = [...keys(a), a.id];
    const kb = [...keys(b), b.id];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
    return 0;
  };
  return rows.sort((a, b) => dir * compare(a, b)).map((o) => o.id);
}

const filters = (query: string) => parseOrderFilters(new URLSearchParams(query));

/** Walks every page forwards by cursor. */
async function walk(f: OrderFilters): Promise<{ ids: number[]; pages: OrderPage[] }> {
  const pages: OrderPage[] = [];
  let page = await listOrders(em, f);
  pages.push(page);
  while (page.nextCursor) {
    page = await listOrders(em, { ...f, after: page.nextCursor, page: page.page + 1 });
    pages.push(page);
    if (pages.length > 1000) throw new Error('runaway paging');
  }
  return { ids: pages.flatMap((p) => p.rows.map((r) => r.id)), pages };
}

let splitOrderId: number;

beforeAll(async () => {
  db = await createTestDatabase('olist');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  em = db.orm.em.fork() as EntityManager;
  // 300 more orders with deliberate ties: placed_at in 40 distinct seconds (some a microsecond apart), totals from 7 values; a customer
  // whose name and email hold LIKE's wildcards; and one order split over EWR and RNO (no single warehouse).
  await sql(
    `insert into customer (email, name, created_at) values ('wild_100%@example.com', 'Qzx Percy 100% Under_Score', now()), ('plain@example.com', 'Plain Person', now())`,
  );
  await sql(
    `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, status, payment_method, shipping_address, warehouse_id, placed_at, created_at, updated_at)
     select (select id from channel order by id offset i % 3 limit 1), 'LIST-' || i,
            (select id from customer where email = case when i % 10 = 0 then 'wild_100%@example.com' else 'plain@example.com' end),
            'USD', 1000 * (i % 7), 1000 * (i % 7), (array['awaiting_payment', 'paid', 'on_hold', 'completed', 'picking'])[1 + i % 5], 'manual', '{}',
            (select id from warehouse order by id offset i % 4 limit 1), timestamptz '2026-06-01T12:00:00Z' + (i % 40) * interval '1 second' + (i % 3) * interval '1 microsecond', now(), now()
       from generate_series(1, 300) i`,
  );
  const [split] = await sql<{ id: number }>(
    `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, status, payment_method, shipping_address, warehouse_id, placed_at, created_at, updated_at)
     select (select id from channel where code = 'web'), 'LIST-SPLIT', (select id from customer where email = 'plain@example.com'), 'USD', 5000, 5000, 'paid', 'manual', '{}', null,
            timestamptz '2026-06-01T12:00:05Z', now(), now() returning id`,
  );
  splitOrderId = Number(split.id);
  // Found by both halves of a search for "plain" (its external id and its customer's email): listed once.
  await sql(`insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, status, payment_method, shipping_address, placed_at, created_at, updated_at)
             select (select id from channel where code = 'app'), 'PLAIN-ECHO', id, 'USD', 700, 700, 'paid', 'manual', '{}', timestamptz '2026-06-01T12:00:07Z', now(), now() from customer where email = 'plain@example.com'`);
  await sql(
    `insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor) select ?, id, sku, name, 1, 2500, 2500 from product order by id limit 2`,
    [splitOrderId],
  );
  await sql(
    `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at)
             select l.order_id, l.id, l.product_id, w.id, 1, 'active', now()
               from (select *, row_number() over (order by id) as k from order_line where order_id = ?) l join warehouse w on w.code = case when l.k = 1 then 'EWR' else 'RNO' end`,
    [splitOrderId],
  );
  await loadTruth();
});
afterAll(async () => {
  await db.drop();
});

describe('orders list', () => {
  const cases = [
    '',
    'status=on_hold',
    'status=paid&status=picking',
    'channel=web',
    'channel=app&status=completed',
    'warehouse=EWR',
    'warehouse=RNO&status=paid',
    'from=2026-06-01&to=2026-06-01',
    'q=LIST-1',
    'q=plain@',
    'q=plain',
    'q=plain&status=paid',
    'q=qzx perc',
    'q=100%25',
    'q=under_s',
    'q=nobody-at-all',
    'q=LI',
    'q=%25',
    'channel=nope',
    'warehouse=NOPE',
  ];
  const sorts = [
    'sort=placed_at&dir=desc',
    'sort=placed_at&dir=asc',
    'sort=total&dir=desc',
    'sort=total&dir=asc',
    'sort=status&dir=asc',
    'sort=status&dir=desc',
    'sort=number&dir=desc',
  ];

  it('gives exactly the matching orders, in order, over every page, for each filter and sort', async () => {
    for (const c of cases) {
      for (const s of sorts) {
        const f = filters(`${c}&${s}&pageSize=13`);
        const want = expected(f);
        const { ids, pages } = await walk(f);
        expect(ids, `${c} ${s}`).toEqual(want);
        expect(pages[0].total, `${c} ${s}`).toBe(want.length);
        expect(pages[0].pages).toBe(Math.max(1, Math.ceil(want.length / 13)));
      }
    }
    // Sanity: the cases really filter something and really include ties.
    expect(expected(filters('q=qzx perc')).length).toBe(30);
    expect(expected(filters('q=100%25')).length).toBe(30);
    expect(expected(filters('q=nobody-at-all'))).toEqual([]);
    expect(expected(filters('q=LI'))).toEqual([]);
    expect(new Set(truth.filter((t) => t.external_id.startsWith('LIST-')).map((t) => t.placed_us)).size).toBeGreaterThan(40);
  });

  it('pages by offset to the same rows as by cursor', async () => {
    for (const s of sorts) {
      const f = filters(`status=completed&${s}&pageSize=9`);
      const byOffset: number[] = [];
      for (let page = 1; ; page++) {
        const r = await listOrders(em, { ...f, page });
        byOffset.push(...r.rows.map((x) => x.id));
        if (!r.nextCursor) break;
      }
      expect(byOffset, s).toEqual(expected(f));
    }
  });

  it('goes back a page by cursor to exactly the previous page', async () => {
    const f = filters('sort=total&dir=asc&pageSize=11');
    const p1 = await listOrders(em, f);
    const p2 = await listOrders(em, { ...f, after: p1.nextCursor!, page: 2 });
    const p3 = await listOrders(em, { ...f, after: p2.nextCursor!, page: 3 });
    const back2 = await listOrders(em, { ...f, before: p3.prevCursor!, page: 2 });
    expect(back2.rows.map((r) => r.id)).toEqual(p2.rows.map((r) => r.id));
    expect(back2.prevCursor).not.toBeNull();
    const back1 = await listOrders(em, { ...f, before: back2.prevCursor!, page: 1 });
    expect(back1.rows.map((r) => r.id)).toEqual(p1.rows.map((r) => r.id));
    expect(p1.prevCursor).toBeNull();
    // A cursor made for another sort is ignored: the first page.
    expect((await listOrders(em, { ...filters('sort=placed_at&pageSize=11'), after: p1.nextCursor! })).rows.map((r) => r.id)).toEqual(
      (await listOrders(em, filters('sort=placed_at&pageSize=11'))).rows.map((r) => r.id),
    );
    expect((await listOrders(em, { ...f, after: 'not-a-cursor' })).rows.map((r) => r.id)).toEqual(p1.rows.map((r) => r.id));
  });

  it('neither repeats nor skips a row when new orders arrive between pages', async () => {
    const f = filters('pageSize=20');
    const before = expected(f);
    const p1 = await listOrders(em, f);
    await sql(`insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, status, payment_method, shipping_address, placed_at, created_at, updated_at)
               select (select id from channel where code = 'web'), 'LIST-NEW-' || i, (select id from customer where email = 'plain@example.com'), 'USD', 100, 100, 'paid', 'manual', '{}', now(), now(), now()
                 from generate_series(1, 5) i`);
    const rest = await walk({ ...f, after: p1.nextCursor!, page: 2 });
    expect([...p1.rows.map((r) => r.id), ...rest.ids]).toEqual(before);
    await sql(`delete from sales_order where external_id like 'LIST-NEW-%'`);
  });

  it('finds a split order under each of its warehouses and names them', async () => {
    for (const w of ['EWR', 'RNO']) {
      const { ids } = await walk(filters(`warehouse=${w}&status=paid&pageSize=50`));
      expect(ids).toContain(splitOrderId);
    }
    expect((await walk(filters('warehouse=SHA&pageSize=50'))).ids).not.toContain(splitOrderId);
    const row = (await listOrders(em, filters('q=LIST-SPLIT'))).rows[0];
    expect(row).toMatchObject({ id: splitOrderId, warehouse: null, warehouses: ['EWR', 'RNO'], lineCount: 2 });
  });

  it('keeps order numbers unique past SO-999999', async () => {
    await sql(`select setval('order_number_seq', 999998)`);
    const rows = await sql<{
      number: string;
    }>(`insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, status, payment_method, shipping_address, placed_at, created_at, updated_at)
               select (select id from channel where code = 'web'), 'NUM-' || i, (select id from customer where email = 'plain@example.com'), 'USD', 100, 100, 'paid', 'manual', '{}', now(), now(), now()
                 from generate_series(1, 3) i returning number`);
    expect(rows.map((r) => r.number)).toEqual(['SO-999999', 'SO-1000000', 'SO-1000001']);
    expect((await listOrders(em, filters('q=SO-1000000'))).rows.map((r) => r.number)).toEqual(['SO-1000000']);
    await sql(`delete from sales_order where external_id like 'NUM-%'`);
  });

  it(`stops counting at ${COUNT_CAP.toLocaleString('en')}`, async () => {
    await sql(
      `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, status, payment_method, shipping_address, placed_at, created_at, updated_at)
               select (select id from channel where code = 'csv'), 'CAP-' || i, (select id from customer where email = 'plain@example.com'), 'USD', 100, 100, 'completed', 'manual', '{}', now() - i * interval '1 minute', now(), now()
                 from generate_series(1, ?::int) i`,
      [COUNT_CAP + 5],
    );
    const r = await listOrders(em, filters('channel=csv'));
    expect(r).toMatchObject({ total: COUNT_CAP, totalCapped: true });
    expect(r.rows).toHaveLength(50);
    expect(r.nextCursor).not.toBeNull();
  });
});
