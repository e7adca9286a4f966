// The purchasing screens against the real tables: a purchase order of two lines, made with the
// module's own functions, received in part (stock and ledger move, the PO is partially received),
// then in full (received); a quantity over what is still to come, negative or not a number is
// refused with 422 naming the field and writes nothing; a PO cannot be received once cancelled nor
// cancelled once anything arrived (409). Completing a PO a running Reorder run drafted announces
// `po.goods_received` naming that run (the dispatcher signals it; its receive step then finds the PO
// received), a part delivery does not. Over HTTP: the pages by role, and a receive through the form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { nodeActivities } from '../../activities/nodes/index.ts';
import { dispatchPass } from '../../app/modules/workflows/dispatcher.server.ts';
import { insertDraftPo, loadPo, setPoStatus } from '../../app/modules/purchasing/service.server.ts';
import { cancelPurchaseOrder, getPurchaseOrder, listPurchaseOrders, listSuppliers, receivePurchaseOrder } from '../../app/modules/purchasing/screens.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { signIn } from '../support/http.ts';
import type { MikroORM } from '@mikro-orm/postgresql';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'purchasing test' };
const sqlOn =
  (orm: () => MikroORM) =>
  <T = Record<string, unknown>>(q: string, p: unknown[] = []) =>
    orm().em.fork().getConnection().execute<T[]>(q, p);
const sql = sqlOn(() => db.orm);
const one = async <T = Record<string, unknown>>(q: string, p: unknown[] = []) => (await sql<T>(q, p))[0];

let warehouseId: number;
let supplierId: number;
let products: { id: number; sku: string }[];
let seq = 0;

/** A PO of two lines (10 of the first product, 4 of the second) moved to `status` with the module's functions; its id and line ids. */
async function makePo(orm: MikroORM, status: 'draft' | 'approved' | 'sent', p = products, wh = warehouseId, sup = supplierId) {
  const number = `PO-TEST-${++seq}-${Date.now()}`;
  return orm.em.fork().transactional(async (em) => {
    const id = await insertDraftPo(em, {
      number,
      supplierId: sup,
      warehouseId: wh,
      currency: 'USD',
      leadTimeDays: 7,
      createdBy: 'test',
      productId: p[0].id,
      quantity: 10,
      unitCostMinor: 500,
    });
    await em.execute('insert into purchase_order_line (purchase_order_id, product_id, quantity, received, unit_cost_minor) values (?, ?, 4, 0, 900)', [
      id,
      p[1].id,
    ]);
    const po = (await loadPo(em, id))!;
    if (status !== 'draft') await setPoStatus(em, po, 'approved', actor);
    if (status === 'sent') await setPoStatus(em, { ...po, status: 'approved' }, 'sent', actor);
    const lines = await em.execute<{ id: number }[]>('select id from purchase_order_line where purchase_order_id = ? order by id', [id]);
    return { id, number, lines: lines.map((l) => Number(l.id)) };
  });
}

const onHand = async (productId: number, wh = warehouseId) =>
  Number((await one<{ on_hand: number }>('select on_hand from inventory_level where product_id = ? and warehouse_id = ?', [productId, wh]))?.on_hand ?? 0);
const ledger = async (number: string) =>
  (
    await sql<{ product_id: number; delta: number; kind: string }>(
      'select product_id, quantity as delta, kind from stock_movement where reference = ? order by id',
      [number],
    )
  ).map((r) => ({ productId: Number(r.product_id), delta: Number(r.delta), kind: r.kind }));
const lineState = async (poId: number) =>
  (await sql<{ quantity: number; received: number }>('select quantity, received from purchase_order_line where purchase_order_id = ? order by id', [poId])).map(
    (r) => [Number(r.quantity), Number(r.received)],
  );
const status = async (poId: number) => (await one<{ status: string }>('select status from purchase_order where id = ?', [poId])).status;
const counts = async () =>
  one<{ moves: string; audits: string; outbox: string }>(
    `select (select count(*) from stock_movement) as moves, (select count(*) from audit_event) as audits, (select count(*) from outbox_event) as outbox`,
  );

async function refused(p: Promise<unknown>, statusCode: number, field?: string) {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DomainError);
  const d = e as DomainError;
  expect(d.status).toBe(statusCode);
  if (field) expect(d.errors?.map((x) => x.field) ?? [d.field]).toContain(field);
  return d;
}

beforeAll(async () => {
  db = await createTestDatabase('pos');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  warehouseId = Number((await one<{ id: number }>(`select id from warehouse where code = 'EWR'`)).id);
  supplierId = Number((await one<{ id: number }>('select id from supplier order by id limit 1')).id);
  products = (await sql<{ id: number; sku: string }>('select id, sku from product order by id limit 2')).map((p) => ({ id: Number(p.id), sku: p.sku }));
});
afterAll(async () => {
  await db?.drop();
});

describe('receiving a purchase order', () => {
  it('receives in part (stock and ledger move, partially received), then the rest (received)', async () => {
    const po = await makePo(db.orm, 'sent');
    const [a, b] = [await onHand(products[0].id), await onHand(products[1].id)];

    const part = await receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '6', [`qty-${po.lines[1]}`]: '0' }, actor);
    expect(part).toMatchObject({ status: 'partially_received', signalled: [] });
    expect(await status(po.id)).toBe('partially_received');
    expect(await lineState(po.id)).toEqual([
      [10, 6],
      [4, 0],
    ]);
    expect(await onHand(products[0].id)).toBe(a + 6);
    expect(await onHand(products[1].id)).toBe(b);
    expect(await ledger(po.number)).toEqual([{ productId: products[0].id, delta: 6, kind: 'receipt' }]);

    const rest = await receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '4', [`qty-${po.lines[1]}`]: ' 4 ' }, actor);
    expect(rest.status).toBe('received');
    expect(await status(po.id)).toBe('received');
    expect(await lineState(po.id)).toEqual([
      [10, 10],
      [4, 4],
    ]);
    expect(await onHand(products[0].id)).toBe(a + 10);
    expect(await onHand(products[1].id)).toBe(b + 4);
    expect((await ledger(po.number)).map((m) => m.delta)).toEqual([6, 4, 4]);

    // The page: lines with what remains, and the status history from the audit events.
    const page = (await getPurchaseOrder(db.orm.em.fork(), po.id))!;
    expect(page.lines.map((l) => l.remaining)).toEqual([0, 0]);
    expect(page.history.map((h) => h.to)).toEqual(['approved', 'sent', 'partially_received', 'received']);
    expect(page.supplier.email).toBeTruthy();

    // Nothing more to receive: 409 on the status, nothing written.
    const before = await counts();
    await refused(receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '1' }, actor), 409, 'status');
    expect(await counts()).toEqual(before);
  });

  it('refuses a quantity over what remains, negative or not a number, naming the field and writing nothing', async () => {
    const po = await makePo(db.orm, 'sent');
    const before = await counts();
    const a = await onHand(products[0].id);
    const over = await refused(
      receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '5', [`qty-${po.lines[1]}`]: '5' }, actor),
      422,
      `qty-${po.lines[1]}`,
    );
    expect(over.errors).toEqual([
      expect.objectContaining({ field: `qty-${po.lines[1]}`, code: 'over_remaining', params: { value: 5, remaining: 4, sku: products[1].sku } }),
    ]);
    await refused(receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '-1' }, actor), 422, `qty-${po.lines[0]}`);
    await refused(receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: 'ten' }, actor), 422, `qty-${po.lines[0]}`);
    await refused(receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '1.5' }, actor), 422, `qty-${po.lines[0]}`);
    await refused(receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '0', [`qty-${po.lines[1]}`]: '' }, actor), 422, 'lines');
    await refused(receivePurchaseOrder(db.orm, po.id, { 'qty-999999999': '1' }, actor), 422, 'qty-999999999');
    await refused(receivePurchaseOrder(db.orm, 999_999, { [`qty-${po.lines[0]}`]: '1' }, actor), 404);
    expect(await counts()).toEqual(before);
    expect(await onHand(products[0].id)).toBe(a);
    expect(await lineState(po.id)).toEqual([
      [10, 0],
      [4, 0],
    ]);
    expect(await status(po.id)).toBe('sent');
  });

  it('does not receive a draft', async () => {
    const po = await makePo(db.orm, 'draft');
    await refused(receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '1' }, actor), 409, 'status');
    expect(await status(po.id)).toBe('draft');
  });
});

describe('cancelling a purchase order', () => {
  it('cancels a sent PO before anything arrived and tells the supplier; then it cannot be received or cancelled again', async () => {
    const po = await makePo(db.orm, 'sent');
    const r = await cancelPurchaseOrder(db.orm, po.id, { reason: 'ordered twice' }, actor);
    expect(r.supplierNotified).toBe(true);
    expect(await status(po.id)).toBe('cancelled');
    const mail = await one(`select * from notification where idempotency_key = ?`, [`purchase-order-cancelled:${po.number}`]);
    expect(mail).toBeTruthy();
    const audit = await one<{ after: Record<string, unknown> }>(
      `select after from audit_event where entity_type = 'PurchaseOrder' and entity_id = ? and action = ?`,
      [String(po.id), 'purchase_order.cancelled'],
    );
    expect(audit.after).toMatchObject({ status: 'cancelled', reason: 'ordered twice', wasSent: true, supplierNotified: true });

    const before = await counts();
    await refused(receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '1' }, actor), 409, 'status');
    await refused(cancelPurchaseOrder(db.orm, po.id, {}, actor), 409, 'status');
    expect(await counts()).toEqual(before);
  });

  it('cancels a draft without mailing anyone', async () => {
    const po = await makePo(db.orm, 'draft');
    expect(await cancelPurchaseOrder(db.orm, po.id, {}, actor)).toMatchObject({ supplierNotified: false, to: null });
    expect(await status(po.id)).toBe('cancelled');
    expect(await one(`select 1 from notification where idempotency_key = ?`, [`purchase-order-cancelled:${po.number}`])).toBeUndefined();
  });

  it('refuses to cancel once anything was received, and a reason over 500 characters, writing nothing', async () => {
    const po = await makePo(db.orm, 'sent');
    await receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '1', [`qty-${po.lines[1]}`]: '0' }, actor);
    const before = await counts();
    await refused(cancelPurchaseOrder(db.orm, po.id, {}, actor), 409, 'status');
    await refused(cancelPurchaseOrder(db.orm, po.id, { reason: 'x'.repeat(501) }, actor), 422, 'reason');
    expect(await counts()).toEqual(before);
    expect(await status(po.id)).toBe('partially_received');
  });
});

describe('a PO a Reorder run is waiting for', () => {
  it('announces goods_received to the run when received in full, not for a part, and the dispatcher signals it', async () => {
    const po = await makePo(db.orm, 'sent');
    const workflowId = `reorder-test-${po.id}`;
    const run = await one<{ id: number }>(
      `insert into workflow_run (workflow_id, trigger_type, trigger_payload, status, started_at, updated_at) values (?, 'stock.low', '{}', 'running', now(), now()) returning id`,
      [workflowId],
    );
    await sql(
      `insert into workflow_run_step (run_id, node_id, status, visits, output_summary, compensation) values (?, 'draft_po', 'done', 1, ?::jsonb, false)`,
      [run.id, JSON.stringify({ handle: 'ok', output: { purchaseOrderId: po.id, number: po.number, status: 'draft', created: true } })],
    );
    const announced = async () =>
      sql<{ payload: Record<string, unknown> }>(`select payload from outbox_event where type = 'po.goods_received' and payload->>'number' = ?`, [po.number]);

    expect((await receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '3', [`qty-${po.lines[1]}`]: '0' }, actor)).signalled).toEqual([]);
    expect(await announced()).toEqual([]);
    expect((await getPurchaseOrder(db.orm.em.fork(), po.id))!.runs).toEqual([workflowId]);

    // Earlier events (the demo's stock.low starts and the like) are not this test's: out of the dispatcher's way.
    await sql('update outbox_event set dispatched_at = now() where dispatched_at is null');
    const done = await receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '7', [`qty-${po.lines[1]}`]: '4' }, actor);
    expect(done).toMatchObject({ status: 'received', signalled: [workflowId] });
    expect((await announced()).map((r) => r.payload)).toEqual([expect.objectContaining({ purchaseOrderId: po.id, workflowId })]);

    // The dispatcher sends the run its goods_received signal.
    const sent: { workflowId: string; name: string }[] = [];
    const client = {
      workflow: { getHandle: (id: string) => ({ signal: async (name: string) => void sent.push({ workflowId: id, name }) }) },
      withDeadline: <T>(_: number, fn: () => Promise<T>) => fn(),
    } as unknown as Client;
    for (let i = 0; i < 20 && !sent.length; i++) await dispatchPass({ orm: db.orm, temporal: async () => client, taskQueue: 'none' });
    expect(sent).toEqual([{ workflowId, name: 'goods_received' }]);

    // The signalled run goes on to its own receive step, which finds the PO received and moves nothing.
    const moves = await ledger(po.number);
    const step = await nodeActivities({ orm: db.orm })['inventory.receivePo']({
      key: `${workflowId}:receive_po:1`,
      workflowId,
      nodeId: 'receive_po',
      config: {},
      context: { trigger: { type: 'stock.low', payload: {} }, nodes: { draft_po: { purchaseOrderId: po.id, number: po.number } } },
    });
    expect(step).toMatchObject({ handle: 'ok', output: { status: 'received', changed: false, received: [] } });
    expect(await ledger(po.number)).toEqual(moves);
    expect(await lineState(po.id)).toEqual([
      [10, 10],
      [4, 4],
    ]);
  });

  it("leaves the rest of a part-received PO to the flow's receive step when the run is signalled another way", async () => {
    const po = await makePo(db.orm, 'sent');
    await receivePurchaseOrder(db.orm, po.id, { [`qty-${po.lines[0]}`]: '4', [`qty-${po.lines[1]}`]: '1' }, actor);
    const step = await nodeActivities({ orm: db.orm })['inventory.receivePo']({
      key: `wf-part-${po.id}:receive_po:1`,
      workflowId: `wf-part-${po.id}`,
      nodeId: 'receive_po',
      config: {},
      context: { trigger: { type: 'stock.low', payload: {} }, nodes: { draft_po: { purchaseOrderId: po.id } } },
    });
    expect(step.output).toMatchObject({ status: 'received', changed: true });
    expect((await ledger(po.number)).map((m) => m.delta)).toEqual([4, 1, 6, 3]);
    expect(await lineState(po.id)).toEqual([
      [10, 10],
      [4, 4],
    ]);
  });
});

describe('lists', () => {
  it('lists POs newest first with their units, filtered by status, supplier, warehouse and number; suppliers with products and open POs', async () => {
    const em = db.orm.em.fork();
    const po = await makePo(db.orm, 'approved');
    const all = await listPurchaseOrders(em, { limit: 500, offset: 0 });
    expect(all[0]).toMatchObject({ id: po.id, status: 'approved', lines: 2, ordered: 14, received: 0 });
    const created = all.map((r) => r.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    expect((await listPurchaseOrders(em, { status: 'cancelled', limit: 500, offset: 0 })).every((r) => r.status === 'cancelled')).toBe(true);
    expect((await listPurchaseOrders(em, { q: po.number.slice(3), limit: 10, offset: 0 })).map((r) => r.id)).toEqual([po.id]);
    expect((await listPurchaseOrders(em, { warehouse: 'EWR', limit: 500, offset: 0 })).every((r) => r.warehouse === 'EWR')).toBe(true);
    expect(await listPurchaseOrders(em, { supplier: 'NO-SUCH', limit: 10, offset: 0 })).toEqual([]);
    expect(await listPurchaseOrders(em, { q: '%', limit: 10, offset: 0 })).toEqual([]);
    const suppliers = await listSuppliers(em);
    const s = suppliers.find((x) => x.id === supplierId)!;
    expect(s.products).toBeGreaterThan(0);
    expect(s.openPos).toBe(
      Number(
        (
          await one<{ n: string }>(
            `select count(*) as n from purchase_order where supplier_id = ? and status in ('draft','approved','sent','partially_received')`,
            [supplierId],
          )
        ).n,
      ),
    );
  });
});

describe('over HTTP', () => {
  let app: TestApp;
  const appSql = sqlOn(() => app.db.orm);
  beforeAll(async () => {
    app = await startTestApp({ worker: false });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('shows the pages to roles with inventory.view, lets inventory.manage receive, answers 422/409 with nothing written', async () => {
    const wh = Number((await appSql<{ id: number }>(`select id from warehouse where code = 'EWR'`))[0].id);
    const sup = Number((await appSql<{ id: number }>('select id from supplier order by id limit 1'))[0].id);
    const ps = (await appSql<{ id: number; sku: string }>('select id, sku from product order by id limit 2')).map((p) => ({ id: Number(p.id), sku: p.sku }));
    const po = await makePo(app.db.orm, 'sent', ps, wh, sup);

    const agent = await signIn(app, 'agent');
    expect((await agent.get('/purchasing')).status).toBe(403);
    expect((await agent.get(`/purchasing/${po.id}`)).status).toBe(403);

    const exec = await signIn(app, 'executive');
    const page = await exec.get(`/purchasing/${po.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(po.number);
    expect(html).not.toContain(`name="qty-${po.lines[0]}"`);
    expect((await exec.post(`/purchasing/${po.id}`, { intent: 'receive', [`qty-${po.lines[0]}`]: '1' })).status).toBe(403);

    const lead = await signIn(app, 'warehouse');
    expect(await (await lead.get('/purchasing?status=sent')).text()).toContain(po.number);
    expect(await (await lead.get(`/purchasing/${po.id}`)).text()).toContain(`name="qty-${po.lines[0]}"`);
    expect(await (await lead.get('/purchasing/suppliers')).text()).toContain('data-testid="supplier-table"');
    const over = await lead.post(`/purchasing/${po.id}`, { intent: 'receive', [`qty-${po.lines[0]}`]: '11', [`qty-${po.lines[1]}`]: '0' });
    expect(over.status).toBe(422);
    const junk = await lead.post(`/purchasing/${po.id}`, { intent: 'receive', [`qty-${po.lines[0]}`]: 'abc' });
    expect(junk.status).toBe(422);
    expect(
      (await appSql<{ received: number }>('select received from purchase_order_line where purchase_order_id = ? order by id', [po.id])).map((r) =>
        Number(r.received),
      ),
    ).toEqual([0, 0]);
    const ok = await lead.post(`/purchasing/${po.id}`, { intent: 'receive', [`qty-${po.lines[0]}`]: '10', [`qty-${po.lines[1]}`]: '2' });
    expect(ok.status).toBe(200);
    expect((await appSql<{ status: string }>('select status from purchase_order where id = ?', [po.id]))[0].status).toBe('partially_received');
    const cancel = await lead.post(`/purchasing/${po.id}`, { intent: 'cancel' });
    expect(cancel.status).toBe(409);
    expect(await cancel.text()).toContain('data-code="po_not_cancellable"');
    expect((await lead.post('/purchasing/abc', { intent: 'cancel' })).status).toBe(404);
  });
});
