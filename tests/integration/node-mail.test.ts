// Mail that workflow steps send, delivered to a real SMTP server (smtp-server on 127.0.0.1) by the
// real sender: staff alerts from the "alert staff" step and from the SLA timers inside a run (on the
// real Temporal dev server), in each recipient's language, once however often the step is retried;
// and purchase orders emailed to their supplier by "send to supplier", and withdrawn by email when a
// PO already sent is cancelled (the Reorder flow's compensation, also when the run is cancelled).
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { sendPending } from '../../app/modules/notifications/service.server.ts';
import { saveStoreProfile } from '../../app/modules/settings/store.server.ts';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { compileGraph } from '../../app/modules/workflows/compile.server.ts';
import { nodeActivities, poNumberForKey, type NodeActivities } from '../../activities/nodes/index.ts';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import type { RunState } from '../../workflows/interpreter.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { REORDER } from '../../scripts/seed/workflows.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWorker } from '../support/worker.ts';
import { testEnv } from '../support/env.ts';

interface Received {
  to: string[];
  mail: ParsedMail;
}

let db: TestDatabase;
let act: NodeActivities;
let smtp: SMTPServer;
let transport: ReturnType<typeof nodemailer.createTransport>;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
let connection: Connection;
let client: Client;
const inbox: Received[] = [];
const FROM = 'Shop <shop@example.test>';
const taskQueue = `node-mail-${Date.now()}`;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
const inboxFor = (email: string) => inbox.filter((m) => m.to.includes(email));
const send = () => sendPending(db.orm, transport, { from: FROM });
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('nodemail');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  act = nodeActivities({ orm: db.orm });
  // The seeded admin reads English; the ops manager Traditional Chinese; the warehouse lead Simplified.
  await sql(`update app_user set locale = case role when 'ops_manager' then 'zh-TW' when 'warehouse' then 'zh-CN' else 'en' end`);
  // Mail already queued by the seed is not what these tests look at.
  await sql(`update notification set status = 'sent'`);

  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(0, '127.0.0.1', () => resolve());
  });
  transport = nodemailer.createTransport({ host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, secure: false, ignoreTLS: true });

  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
  worker = await startTestWorker({ orm: db.orm, taskQueue });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  transport?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await db?.drop();
});

function input(nodeId: string, payload: Record<string, unknown>, config: Record<string, unknown> = {}): NodeActivityInput {
  const workflowId = `wf-mail-${nodeId}-${++n}`;
  return { key: `${workflowId}:${nodeId}:1`, workflowId, nodeId, config, context: { trigger: { type: 'manual', payload }, nodes: {} } };
}
const nonRetryable = (e: unknown) => (e instanceof ApplicationFailure ? { nonRetryable: e.nonRetryable, type: e.type } : e);

describe('staff alerts', () => {
  it('email the ops manager and the admin by default, each in their language, exactly once across retries', async () => {
    const alert = input('alert', { orderId: 1, number: 'SO-ALERT-1' }, { message: 'Payment gateway rejects every card', severity: 'critical' });
    // The first attempt and a retry racing it, then one more retry after the mail went out.
    const results = await Promise.all([act['notifications.alert'](alert), act['notifications.alert'](alert)]);
    expect(results.map((r) => r.output?.raised).sort()).toEqual([false, true]);
    expect(results.map((r) => r.output?.emailed).sort()).toEqual([0, 2]);
    expect(await send()).toMatchObject({ sent: 2, failed: 0 });
    expect(await act['notifications.alert'](alert)).toMatchObject({ handle: 'ok', output: { raised: false, emailed: 0 } });
    expect(await send()).toMatchObject({ sent: 0 });

    const [admin] = inboxFor('admin@demo.test');
    expect(inboxFor('admin@demo.test')).toHaveLength(1);
    expect(admin.mail.subject).toBe('[Critical] Payment gateway rejects every card');
    expect(admin.mail.text).toContain('Hi Alex Admin,');
    expect(admin.mail.text).toContain('Payment gateway rejects every card');
    expect(admin.mail.text).toContain('SO-ALERT-1');
    expect(admin.mail.text).toContain(`/workflows/runs/${alert.workflowId}`);
    const [ops] = inboxFor('ops@demo.test');
    expect(inboxFor('ops@demo.test')).toHaveLength(1);
    expect(ops.mail.subject).toBe('【嚴重】Payment gateway rejects every card');
    expect(ops.mail.text).toContain('Olivia Ops 您好');
    expect(ops.mail.text).toContain('工作流程發出了一則需要您留意的警示');
    expect(ops.mail.html || '').toContain('<html lang="zh-TW">');
    // Nobody else hears of it; the bell rang once.
    expect(inbox.filter((m) => m.mail.subject?.includes('Payment gateway'))).toHaveLength(2);
    expect(await sql(`select count(*)::int as n from outbox_event where type = 'alert.raised' and payload ->> 'key' = ?`, [alert.key])).toEqual([{ n: 1 }]);
    expect(
      (
        await sql<{ emailed: string[] }>(
          `select after -> 'emailed' as emailed from audit_event where action = 'workflow.alert_raised' and after ->> 'key' = ?`,
          [alert.key],
        )
      )[0].emailed.sort(),
    ).toEqual(['admin@demo.test', 'ops@demo.test']);
  });

  it('email the roles the step names, and nobody when it names none', async () => {
    await act['notifications.alert'](input('alert', {}, { message: 'Dock door 3 is jammed', severity: 'info', emailRoles: ['warehouse'] }));
    await act['notifications.alert'](input('alert', {}, { message: 'Bell only', emailRoles: [] }));
    await send();
    const got = inbox.filter((m) => m.mail.subject?.includes('Dock door 3'));
    expect(got.map((m) => m.to)).toEqual([['warehouse@demo.test']]);
    expect(got[0].mail.subject).toBe('【提示】Dock door 3 is jammed');
    expect(got[0].mail.text).toContain('工作流发出了一条需要您关注的警报');
    expect(inbox.filter((m) => m.mail.subject?.includes('Bell only'))).toEqual([]);
  });

  it('are raised and emailed by the SLA timers inside a run', async () => {
    const graph = {
      nodes: [
        {
          id: 'trigger',
          type: 'control.trigger',
          position: { x: 0, y: 0 },
          data: { config: { event: 'manual', slaNode: 'done', slaAfter: '1s', shipNode: 'done', shipMargin: '1d' } },
        },
        { id: 'wait', type: 'control.signal', position: { x: 0, y: 100 }, data: { config: { signal: 'custom', name: 'go', timeout: '1h' } } },
        { id: 'done', type: 'control.end', position: { x: 0, y: 200 }, data: { config: { result: 'complete' } } },
      ],
      edges: [
        { id: 'e1', source: 'trigger', sourceHandle: 'out', target: 'wait' },
        { id: 'e2', source: 'wait', sourceHandle: 'received', target: 'done' },
      ],
    };
    const compiled = compileGraph(graph);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    // Promised by tomorrow, less than the one-day margin away: the "unshipped" timer fires at once, "unprocessed" after 1 s.
    const promisedBy = new Date(Date.now() + 12 * 3_600_000).toISOString();
    const workflowId = `sla-mail-${Date.now()}`;
    const handle = await client.workflow.start('interpreter', {
      taskQueue,
      workflowId,
      args: [{ plan: compiled.plan, trigger: { type: 'manual', payload: { number: 'SO-SLA-1', promisedBy } } }],
    });
    const deadline = Date.now() + 30_000;
    while (
      (
        await sql<{ n: number }>(`select count(*)::int as n from notification where template = 'staff_alert' and idempotency_key like ?`, [
          `alert:${workflowId}:sla:%`,
        ])
      )[0].n < 4
    ) {
      if (Date.now() > deadline) throw new Error('the SLA alerts were not emailed');
      await new Promise((r) => setTimeout(r, 200));
    }
    await handle.signal('custom', { name: 'go' });
    expect(((await handle.result()) as RunState).status).toBe('completed');
    await send();

    const subjects = (email: string) =>
      inboxFor(email)
        .map((m) => m.mail.subject)
        .filter((s) => s?.includes('SO-SLA-1'))
        .sort();
    expect(subjects('admin@demo.test')).toEqual(['[Warning] SO-SLA-1 has not shipped and is due soon', '[Warning] SO-SLA-1 is overdue for processing']);
    expect(subjects('ops@demo.test')).toEqual(['【警告】SO-SLA-1 尚未出貨，承諾日期將至', '【警告】SO-SLA-1 逾時未處理']);
    const unshipped = inboxFor('admin@demo.test').find((m) => m.mail.subject?.includes('has not shipped'))!;
    expect(unshipped.mail.text).toContain('SO-SLA-1 has not shipped yet and was promised by');
    expect(unshipped.mail.text).toContain('Step: sla:unshipped');
  });
});

describe('purchase orders to suppliers', () => {
  async function approvedPo(number: string, supplier: string) {
    const [po] = await sql<{ id: number }>(
      `insert into purchase_order (number, supplier_id, warehouse_id, status, currency, expected_at, created_at, updated_at)
       select ?, s.id, w.id, 'approved', s.currency, '2030-03-15T12:00:00Z', now(), now() from supplier s, warehouse w where s.code = ? and w.code = 'EWR' returning id`,
      [number, supplier],
    );
    await sql(
      `insert into purchase_order_line (purchase_order_id, product_id, quantity, received, unit_cost_minor)
               select ?, p.id, 40 + row_number() over (order by p.id), 0, 1250 from (select id from product order by id limit 2) p`,
      [po.id],
    );
    return Number(po.id);
  }

  it('are emailed once with the lines, quantities, delivery address and the number to quote, in the supplier’s language', async () => {
    const poId = await approvedPo('PO-MAIL-1', 'ACME');
    const send1 = input('send', { purchaseOrderId: poId });
    const first = await act['inventory.sendPo'](send1);
    expect(first).toMatchObject({ handle: 'ok', output: { status: 'sent', changed: true, to: 'orders@acme.example', notificationId: expect.any(Number) } });
    expect(await act['inventory.sendPo'](send1)).toMatchObject({ handle: 'ok', output: { changed: false } });
    expect(await send()).toMatchObject({ sent: 1, failed: 0 });
    expect(await act['inventory.sendPo'](send1)).toMatchObject({ handle: 'ok', output: { changed: false } });
    expect(await send()).toMatchObject({ sent: 0 });

    const got = inboxFor('orders@acme.example');
    expect(got).toHaveLength(1);
    const lines = await sql<{ sku: string; name: string; quantity: number }>(
      'select p.sku, p.name, l.quantity from purchase_order_line l join product p on p.id = l.product_id where l.purchase_order_id = ? order by l.id',
      [poId],
    );
    const [wh] = await sql<{ name: string; line1: string; city: string }>(`select name, line1, city from warehouse where code = 'EWR'`);
    const { subject, text, html } = got[0].mail;
    expect(subject).toBe('Purchase order PO-MAIL-1');
    expect(text).toContain('Dear Acme Manufacturing,');
    expect(text).toContain('Please quote PO-MAIL-1');
    for (const l of lines) expect(text).toContain(`${l.quantity} × ${l.sku} ${l.name}  $12.50`);
    expect(text).toContain(`${wh.name}, ${wh.line1}`);
    expect(text).toContain(wh.city);
    expect(text).toContain('Requested delivery: ');
    expect(text).toContain('Kind regards,\n');
    expect(html || '').toContain('PO-MAIL-1');

    // Audited and announced with the mail it queued.
    expect(
      await sql(
        `select after ->> 'to' as "to", (after ->> 'notificationId')::int as notification from audit_event where action = 'purchase_order.sent' and entity_id = ?`,
        [String(poId)],
      ),
    ).toEqual([{ to: 'orders@acme.example', notification: first.output!.notificationId }]);
    expect(
      await sql(`select (payload ->> 'emailQueued')::boolean as queued from outbox_event where type = 'po.sent' and payload ->> 'number' = 'PO-MAIL-1'`),
    ).toEqual([{ queued: true }]);
  });

  it('are written in the supplier’s language, and a supplier without an address stops the step', async () => {
    const poId = await approvedPo('PO-MAIL-2', 'SZ-SOURCING');
    await act['inventory.sendPo'](input('send', { purchaseOrderId: poId }));
    await send();
    const [got] = inboxFor('po@szsourcing.example');
    expect(got.mail.subject).toBe('采购订单 PO-MAIL-2');
    expect(got.mail.text).toContain('请在订单确认、送货单和发票上注明 PO-MAIL-2');
    expect(got.mail.text).toContain('收货地址');

    await sql(`update supplier set email = '' where code = 'ACME'`);
    const poId3 = await approvedPo('PO-MAIL-3', 'ACME');
    expect(nonRetryable(await act['inventory.sendPo'](input('send', { purchaseOrderId: poId3 })).catch((e) => e))).toEqual({
      nonRetryable: true,
      type: 'no_supplier_email',
    });
    expect(await sql('select status from purchase_order where id = ?', [poId3])).toEqual([{ status: 'approved' }]);
    await sql(`update supplier set email = 'orders@acme.example' where code = 'ACME'`);
  });

  describe('when cancelled', () => {
    /** A product of its own, below its reorder point in Newark, bought from the Shenzhen supplier (writes Simplified Chinese). */
    async function reorderable(sku: string) {
      await sql(
        `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 100, 1, 1, 1, 1000, 'USD')`,
        [sku, `BC-${sku}`, `Kettle ${sku}`],
      );
      const [lvl] = await sql<{ id: number }>(
        `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
                                               select p.id, w.id, 0, 0, 10, 20, now() from product p, warehouse w where p.sku = ? and w.code = 'EWR' returning id`,
        [sku],
      );
      await sql(
        `insert into supplier_product (supplier_id, product_id, unit_cost_minor, preferred, updated_at) select s.id, p.id, 500, true, now() from supplier s, product p where s.code = 'SZ-SOURCING' and p.sku = ?`,
        [sku],
      );
      return { levelId: Number(lvl.id), sku, warehouse: 'EWR' };
    }
    const cancellations = (number: string) =>
      sql<{ id: number; template: string; locale: string; to: string }>(`select id, template, locale, "to" from notification where idempotency_key = ?`, [
        `purchase-order-cancelled:${number}`,
      ]);
    const poStatus = async (number: string) => (await sql<{ status: string }>('select status from purchase_order where number = ?', [number]))[0]?.status;

    it('tells the supplier once, in its language, when the PO had been sent, however often and concurrently the undo runs; audited', async () => {
      const trigger = await reorderable('MAIL-PO-1');
      const draft = input('draft_po', trigger);
      const drafted = await act['inventory.draftPo'](draft);
      const number = String(drafted.output!.number);
      const steps = (nodeId: string) => ({
        ...input(nodeId, trigger),
        context: { trigger: { type: 'stock.low', payload: trigger }, nodes: { draft_po: drafted.output! } },
      });
      await act['inventory.approvePo'](steps('approve_po'));
      await act['inventory.sendPo'](steps('send_po'));
      expect(await send()).toMatchObject({ failed: 0 });

      const undo = { ...draft, key: `${draft.key}:undo` };
      const results = await Promise.all([act['inventory.cancelPo'](undo), act['inventory.cancelPo'](undo)]);
      expect(results.map((r) => r.output?.cancelled)).toEqual([true, true]);
      expect(results.filter((r) => r.output?.supplierNotified)).toHaveLength(1);
      expect(await act['inventory.cancelPo'](undo)).toMatchObject({ handle: 'ok', output: { cancelled: true, status: 'cancelled' } });
      expect(await poStatus(number)).toBe('cancelled');
      const [queued] = await cancellations(number);
      expect(await cancellations(number)).toHaveLength(1);
      expect(queued).toMatchObject({ template: 'purchase_order_cancelled', locale: 'zh-CN', to: 'po@szsourcing.example' });
      expect(await send()).toMatchObject({ sent: 1, failed: 0 });
      expect(await send()).toMatchObject({ sent: 0 });

      const got = inboxFor('po@szsourcing.example').filter((m) => m.mail.subject?.includes(number));
      expect(got.map((m) => m.mail.subject)).toEqual([`采购订单 ${number}`, `取消通知：采购订单 ${number}`]);
      const { text, html } = got[1].mail;
      expect(text).toContain(`我方取消此前发给贵司的采购订单 ${number}，请勿发运以下货品。`);
      expect(text).toContain('20 × MAIL-PO-1 Kettle MAIL-PO-1');
      expect(text).toContain('深圳优选供应链：');
      expect(html || '').toContain('<html lang="zh-CN">');

      expect(
        await sql(
          `select before ->> 'status' as "from", after ->> 'status' as "to", (after ->> 'supplierNotified')::boolean as notified, (after ->> 'notificationId')::int as notification
                          from audit_event where action = 'purchase_order.cancelled' and entity_type = 'PurchaseOrder' and entity_id = ?`,
          [String(drafted.output!.purchaseOrderId)],
        ),
      ).toEqual([{ from: 'sent', to: 'cancelled', notified: true, notification: Number(queued.id) }]);
    });

    it('tells nobody when the PO never reached the supplier', async () => {
      const trigger = await reorderable('MAIL-PO-2');
      const draft = input('draft_po', trigger);
      const drafted = await act['inventory.draftPo'](draft);
      const number = String(drafted.output!.number);
      expect(await act['inventory.cancelPo']({ ...draft, key: `${draft.key}:undo` })).toMatchObject({ output: { cancelled: true, supplierNotified: false } });
      expect(await poStatus(number)).toBe('cancelled');
      expect(await cancellations(number)).toEqual([]);
      expect(
        await sql(
          `select (after ->> 'wasSent')::boolean as sent, (after ->> 'supplierNotified')::boolean as notified from audit_event where action = 'purchase_order.cancelled' and entity_id = ?`,
          [String(drafted.output!.purchaseOrderId)],
        ),
      ).toEqual([{ sent: false, notified: false }]);
    });

    it('withdraws the PO when the seeded Reorder run is cancelled after sending it', async () => {
      const trigger = await reorderable('MAIL-PO-3');
      const compiled = compileGraph(REORDER);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
      const workflowId = `reorder-mail-${Date.now()}`;
      const handle = await client.workflow.start('interpreter', {
        taskQueue,
        workflowId,
        args: [{ plan: compiled.plan, trigger: { type: 'stock.low', payload: trigger } }],
      });
      const number = poNumberForKey(`${workflowId}:draft_po:1`);
      const deadline = Date.now() + 30_000;
      while ((await poStatus(number)) !== 'sent') {
        if (Date.now() > deadline) throw new Error(`${number} was not sent`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await handle.signal('cancel', { reason: 'stock found elsewhere' });
      expect(((await handle.result()) as RunState).status).toBe('cancelled');
      expect(await poStatus(number)).toBe('cancelled');
      expect(await cancellations(number)).toHaveLength(1);
      await send();
      expect(
        inboxFor('po@szsourcing.example')
          .map((m) => m.mail.subject)
          .filter((x) => x?.includes(number)),
      ).toEqual([`采购订单 ${number}`, `取消通知：采购订单 ${number}`]);
    });
  });
});

describe('recommendations to customers', () => {
  it('suggest what others bought with their order, in their language, linked to the shop, once however often the step runs', async () => {
    const { recommendationsFor } = await import('../../app/modules/analytics/affinity.server.ts');
    // The first demo order whose customer has something bought together with what they bought.
    const orders = await sql<{ id: number; number: string; customer_id: number; email: string }>(
      `select o.id, o.number, o.customer_id, c.email from sales_order o join customer c on c.id = o.customer_id
        where o.status not in ('cancelled') order by o.id limit 200`,
    );
    let chosen: (typeof orders)[number] | undefined;
    let recs: Awaited<ReturnType<typeof recommendationsFor>> = [];
    for (const o of orders) {
      recs = await recommendationsFor(db.orm.em.fork(), o.customer_id, 3);
      if (recs.length) {
        chosen = o;
        break;
      }
    }
    expect(chosen, 'a demo customer with recommendations').toBeDefined();
    await sql(`update customer set locale = 'zh-CN' where id = ?`, [chosen!.customer_id]);
    const step = input('recommend', { orderId: chosen!.id }, { template: 'recommendations' });
    // The shop's product pages, as Settings → Store keeps them.
    await saveStoreProfile(db.orm, { name: 'Lumen Beauty', productUrl: 'https://shop.example.test/p/{sku}' }, SYSTEM);
    expect(await act['notifications.email'](step)).toMatchObject({ handle: 'ok', output: { queued: true } });
    expect(await act['notifications.email'](step)).toMatchObject({ handle: 'ok', output: { queued: false } });
    expect(await send()).toMatchObject({ sent: 1, failed: 0 });
    const got = inboxFor(chosen!.email).filter((m) => m.mail.subject?.includes('为您精选'));
    expect(got).toHaveLength(1);
    const mail = got[0].mail;
    expect(mail.subject).toBe(`为您精选：与订单 ${chosen!.number} 搭配的好物`);
    for (const r of recs) {
      expect(mail.text).toContain(r.name);
      expect(mail.text).toContain(`搭配您购买的 ${r.because.name}`);
      expect(mail.html || '').toContain(`href="https://shop.example.test/p/${encodeURIComponent(r.sku)}"`);
    }
    expect(await sql(`select count(*)::int as n from audit_event where action = 'notification.queued' and entity_id = ?`, [String(chosen!.id)])).toEqual([
      { n: 1 },
    ]);
  });

  it('are not sent to a customer nothing goes with', async () => {
    const [{ id: customerId }] = await sql<{ id: number }>(
      `insert into customer (email, name, locale, addresses, tags, tier, created_at) values ('lonely@example.test', 'Lonely', 'en', '[]', '{}', 'standard', now()) returning id`,
    );
    const [{ id: productId }] = await sql<{ id: number }>(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency)
       values ('ONLY-ONE', '990000000001', 'Only one of its kind', 1, 1, 1, 1, 100, 'USD') returning id`,
    );
    const [{ id: orderId }] = await sql<{ id: number }>(
      `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, total_minor, total_base_minor, status, payment_method,
                                shipping_address, placed_at, created_at, updated_at)
       values ((select id from channel where code = 'web'), 'LONELY-1', ?, 'USD', 100, 100, 100, 'delivered', 'manual',
               '{"line1":"1 Main St","city":"Boston","country":"US"}', now(), now(), now()) returning id`,
      [customerId],
    );
    await sql(
      `insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor) values (?, ?, 'ONLY-ONE', 'Only one', 1, 100, 100)`,
      [orderId, productId],
    );
    expect(await act['notifications.email'](input('recommend', { orderId }, { template: 'recommendations' }))).toMatchObject({
      handle: 'ok',
      output: { queued: false, skipped: 'no_recommendations' },
    });
    expect(await sql(`select count(*)::int as n from notification where order_id = ?`, [orderId])).toEqual([{ n: 0 }]);
  });
});
