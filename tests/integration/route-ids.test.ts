// Ids in addresses and forms (issue 3): ids are PostgreSQL int4, so every id up to 2147483647 (ten
// digits) is looked up, and anything beyond it or not an id names no row: a clean 404 (422 on a form
// field), never a 500 from the database refusing the number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/http.ts';

let app: TestApp;
let b: Browser;
beforeAll(async () => {
  app = await startTestApp();
  b = new Browser(app.url);
  const ops = app.credentials.users.find((u) => u.role === 'ops_manager')!;
  await b.login(ops.email, app.password('ops_manager'));
});
afterAll(async () => {
  await app?.stop();
});

/** Ten digits in range (no such row), just past int4, and far past it. */
const NO_ROW = ['2147483647', '2147483648', '99999999999'];

const api = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  fetch(app.url + path, {
    method,
    headers: { Cookie: b.cookieHeader, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('ids in addresses', () => {
  it('answers 404 for an order no id up to int4 names, and for one beyond, on the pages and the API', async () => {
    for (const id of NO_ROW) {
      expect((await b.get(`/orders/${id}`)).status, `/orders/${id}`).toBe(404);
      const res = await api('GET', `/api/v1/orders/${id}`);
      expect(res.status, `/api/v1/orders/${id}`).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'not_found' });
      expect((await api('POST', `/api/v1/orders/${id}/hold`, {})).status, `hold ${id}`).toBe(404);
      expect((await api('POST', `/api/v1/payments/${id}/capture`, {})).status, `capture ${id}`).toBe(404);
      expect((await api('POST', `/api/v1/shipments/${id}/events`, { status: 'in_transit' })).status, `shipment ${id}`).toBe(404);
      expect((await b.get(`/customers/${id}`)).status, `/customers/${id}`).toBe(404);
    }
  });

  it('answers 404 on the print page and a pick list for ids that name no list, in range or beyond', async () => {
    for (const id of NO_ROW) {
      expect((await b.get(`/fulfilment/pick-lists/print?ids=${id}`)).status, `print ${id}`).toBe(404);
      expect((await b.get(`/fulfilment/pick-lists/${id}`)).status, `pick list ${id}`).toBe(404);
    }
    expect((await b.get('/fulfilment/pick-lists/print?ids=')).status).toBe(404);
  });

  it('finds rows whose ids have ten digits: an order, a customer, a pick list and its print page', async () => {
    const sql = (q: string) => app.db.orm.em.fork().getConnection().execute(q);
    await sql(`insert into customer (id, email, name, created_at) values (2000000001, 'ten.digits@example.com', 'Ten Digits', now())`);
    // A copy of the first demo order under a ten-digit id (and a number, reference and token of its own).
    await sql(`insert into sales_order select (jsonb_populate_record(null::sales_order, to_jsonb(o) || jsonb_build_object(
                 'id', 2000000002, 'number', 'SO-TEN', 'external_id', 'ten-digits', 'tracking_token', 'ten-digits-token'))).*
               from sales_order o where o.id = (select min(id) from sales_order)`);
    await sql(
      `insert into pick_list (id, number, warehouse_id, method, created_at) values (2000000003, 'PL-TEN', (select min(id) from warehouse), 'single', now())`,
    );

    for (const [path, text] of [
      ['/customers/2000000001', 'Ten Digits'],
      ['/orders/2000000002', 'SO-TEN'],
      ['/fulfilment/pick-lists/2000000003', 'PL-TEN'],
      ['/fulfilment/pick-lists/print?ids=2000000003', 'PL-TEN'],
    ]) {
      const res = await b.get(path);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain(text);
    }
    const res = await api('GET', '/api/v1/orders/2000000002');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 2000000002, number: 'SO-TEN' });
  });

  it('refuses a form id beyond int4 with 422 on the field', async () => {
    const warehouse = new Browser(app.url);
    const user = app.credentials.users.find((u) => u.role === 'warehouse')!;
    await warehouse.login(user.email, app.password('warehouse'));
    const res = await warehouse.post('/fulfilment?index', { intent: 'pack', orderId: '2147483648' });
    expect(res.status).toBe(422);
  });
});
