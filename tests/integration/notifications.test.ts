// Customer email end to end: intake queues the mail in its transaction, the sender delivers it to a
// real SMTP server (smtp-server on 127.0.0.1), and without SMTP the mail is held for the console.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { enqueueNotification, retryNotifications, sendPending, startNotificationSender } from '../../app/modules/notifications/service.server.ts';
import type { TestDatabase } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { signIn } from '../support/http.ts';

interface Received {
  from: string;
  to: string[];
  mail: ParsedMail;
}

let app: TestApp;
let db: TestDatabase;
let smtp: SMTPServer;
let port: number;
let transport: ReturnType<typeof nodemailer.createTransport>;
const inbox: Received[] = [];
const actor = { ...SYSTEM, label: 'tester' };
const FROM = 'Shop <shop@example.test>';
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
let n = 0;

beforeAll(async () => {
  // One seeded database behind a running web server (no worker: these tests run the sender themselves).
  app = await startTestApp({ worker: false });
  db = app.db;
  await sql(
    `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('MAIL-1', 'MAIL1', 'Teapot', 1, 1, 1, 1, 1000, 'USD')`,
  );
  await sql(
    `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at) select p.id, w.id, 1000, 0, 0, 0, now() from product p, warehouse w where p.sku = 'MAIL-1'`,
  );

  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Recipients at bounce.test are refused, as a full mailbox would be.
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (address.address.endsWith('@bounce.test')) return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        inbox.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), mail });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(0, '127.0.0.1', () => resolve());
  });
  port = (smtp.server.address() as AddressInfo).port;
  transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
});

afterAll(async () => {
  transport?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await app?.stop();
});

async function newOrder(customer: { email: string; name: string; locale?: 'en' | 'zh-CN' | 'zh-TW' }, total = 12_345) {
  const r = await createOrder(
    db.orm,
    {
      channel: 'web',
      externalId: `MAIL-${++n}`,
      customer,
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [{ sku: 'MAIL-1', quantity: 1, unitPrice: total }],
      paymentMethod: 'test-card',
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  return r.order;
}
type Row = {
  id: number;
  order_id: number;
  template: string;
  locale: string;
  to: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  status: string;
  attempts: number;
  error: string | null;
  sent_at: Date | null;
  next_attempt_at: Date | null;
  claimed_until: Date | null;
};
const rowsFor = (orderId: number) => sql<Row>('select * from notification where order_id = ? order by id', [orderId]);
const inboxFor = (email: string) => inbox.filter((m) => m.to.includes(email));

describe('order confirmation email', () => {
  it('is queued with the order, rendered when sent, and delivered over SMTP in the customer’s language', async () => {
    const order = await newOrder({ email: 'mei@example.tw', name: '林美玲', locale: 'zh-TW' });
    const [row] = await rowsFor(order.id);
    expect(row).toMatchObject({ template: 'order_confirmation', locale: 'zh-TW', to: 'mei@example.tw', status: 'queued', attempts: 0 });
    // The order's transaction only queues it; the sender renders it.
    expect(row).toMatchObject({ subject: null, text: null, html: null });

    const result = await sendPending(db.orm, transport, { from: FROM });
    expect(result).toMatchObject({ sent: 1, retrying: 0, failed: 0 });
    const [got] = inboxFor('mei@example.tw');
    expect(got).toBeDefined();
    expect(got.from).toBe('shop@example.test');
    expect(got.mail.subject).toBe(`我們已收到您的訂單 ${order.number}`);
    expect(got.mail.to && !Array.isArray(got.mail.to) ? got.mail.to.value[0].address : null).toBe('mei@example.tw');
    expect(got.mail.text).toContain('林美玲 您好');
    expect(got.mail.html || '').toContain(order.number);
    expect(got.mail.headers.get('x-order-console-notification')).toBe(String(row.id));

    const [after] = await rowsFor(order.id);
    expect(after).toMatchObject({ status: 'sent', attempts: 1, error: null, subject: `我們已收到您的訂單 ${order.number}` });
    expect(after.text).toContain(`/track/${order.trackingToken}`);
    expect(after.text).toContain('US$123.45');
    expect(after.sent_at).not.toBeNull();
  });

  it('is written once per order and template, however often it is enqueued', async () => {
    const order = await newOrder({ email: 'once@example.com', name: 'Once' });
    await sendPending(db.orm, transport, { from: FROM });
    const again = await db.orm.em.fork().transactional((em) => enqueueNotification(em, { orderId: order.id, template: 'order_confirmation' }));
    expect(again).toBeNull();
    // Two transactions racing past the existence check still leave one row (ON CONFLICT DO NOTHING).
    await Promise.all(
      [1, 2, 3].map(() => db.orm.em.fork().transactional((em) => enqueueNotification(em, { orderId: order.id, template: 'order_confirmation' }))),
    );
    expect(await rowsFor(order.id)).toHaveLength(1);
    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ sent: 0 });
    expect(inboxFor('once@example.com')).toHaveLength(1);
  });

  it('never sends one mail twice when several senders run at once', async () => {
    const orders = [];
    for (let i = 0; i < 4; i++) orders.push(await newOrder({ email: `race${i}@example.com`, name: `Race ${i}` }));
    const results = await Promise.all([1, 2, 3].map(() => sendPending(db.orm, transport, { from: FROM, batch: 4 })));
    expect(results.reduce((s, r) => s + r.sent, 0)).toBe(4);
    for (let i = 0; i < 4; i++) expect(inboxFor(`race${i}@example.com`)).toHaveLength(1);
  });
});

describe('without SMTP', () => {
  it('holds the mail for the console, and a retry queues it again with an audit event', async () => {
    const order = await newOrder({ email: 'held@example.com', name: 'Held', locale: 'zh-CN' });
    expect(await sendPending(db.orm, null)).toMatchObject({ held: 1 });
    const [row] = await rowsFor(order.id);
    expect(row).toMatchObject({ status: 'held', attempts: 0, locale: 'zh-CN', subject: `我们已收到您的订单 ${order.number}` });
    expect(inboxFor('held@example.com')).toHaveLength(0);

    expect(await retryNotifications(db.orm, [row.id], actor)).toBe(1);
    expect((await rowsFor(order.id))[0].status).toBe('queued');
    const audits = await sql<{ action: string; before: { status: string } }>(
      `select action, before from audit_event where entity_type = 'Notification' and entity_id = ?`,
      [String(row.id)],
    );
    expect(audits).toEqual([expect.objectContaining({ action: 'notification.retried', before: expect.objectContaining({ status: 'held' }) })]);
    expect(await retryNotifications(db.orm, [row.id], actor)).toBe(0);

    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ sent: 1 });
    expect(inboxFor('held@example.com')).toHaveLength(1);
    expect((await rowsFor(order.id))[0].status).toBe('sent');
  });
});

describe('a server that refuses the recipient', () => {
  it('records the error, retries, and gives up as failed after 5 attempts', async () => {
    const order = await newOrder({ email: 'full@bounce.test', name: 'Full Mailbox' });
    const [queued] = await rowsFor(order.id);
    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ sent: 0, retrying: 1 });
    let [row] = await rowsFor(order.id);
    expect(row).toMatchObject({ status: 'queued', attempts: 1 });
    expect(row.error).toMatch(/550|Mailbox unavailable/);
    // Rendered on the first try; retries send that same text.
    expect(row.subject).toBe(`We have received your order ${order.number}`);
    // Backed off, with the time stored on the row: the next round leaves it alone until its time comes.
    expect(new Date(row.next_attempt_at ?? 0).getTime()).toBeGreaterThan(Date.now() + 20_000);
    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ retrying: 0 });
    expect((await rowsFor(order.id))[0].attempts).toBe(1);

    const timePasses = () => sql(`update notification set next_attempt_at = now() - interval '1 second' where id = ?`, [queued.id]);
    for (let i = 2; i <= 5; i++) {
      await timePasses();
      await sendPending(db.orm, transport, { from: FROM });
    }
    [row] = await rowsFor(order.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 5 });
    expect(row.error).toMatch(/550|Mailbox unavailable/);
    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ sent: 0, retrying: 0, failed: 0 });
    expect(inboxFor('full@bounce.test')).toHaveLength(0);
    expect(await retryNotifications(db.orm, null, actor)).toBe(1);
    expect((await rowsFor(order.id))[0]).toMatchObject({ status: 'queued', attempts: 0, error: null });
    await sql(`update notification set status = 'failed' where id = ?`, [row.id]);
  });
});

describe('durable retries', () => {
  it('keeps a back-off and a sending lease across a worker restart: nothing lost, nothing sent twice, no transaction open while SMTP talks', async () => {
    // Worker A: the SMTP server refuses for a while (a transport that fails), the row is backed off with its time stored.
    const order = await newOrder({ email: 'restart@example.com', name: 'Restart' });
    const [queued] = await rowsFor(order.id);
    const down = {
      sendMail: async () => {
        throw new Error('421 Service not available');
      },
    };
    expect(await sendPending(db.orm, down, { from: FROM })).toMatchObject({ retrying: 1 });
    // Worker B starts afresh (no memory of A's): it honours the stored back-off...
    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ sent: 0 });
    expect(inboxFor('restart@example.com')).toHaveLength(0);
    // ...and sends once its time has come.
    await sql(`update notification set next_attempt_at = now() - interval '1 second' where id = ?`, [queued.id]);
    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ sent: 1 });
    expect(inboxFor('restart@example.com')).toHaveLength(1);
    expect((await rowsFor(order.id))[0]).toMatchObject({ status: 'sent', attempts: 2, next_attempt_at: null, claimed_until: null });

    // A worker that dies while sending leaves a lease: nobody else sends the mail while it holds...
    const other = await newOrder({ email: 'lease@example.com', name: 'Lease' });
    const [leased] = await rowsFor(other.id);
    await sql(`update notification set claimed_until = now() + interval '2 minutes' where id = ?`, [leased.id]);
    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ sent: 0 });
    // ...and once it has run out, the mail goes, once.
    await sql(`update notification set claimed_until = now() - interval '1 second' where id = ?`, [leased.id]);
    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ sent: 1 });
    expect(await sendPending(db.orm, transport, { from: FROM })).toMatchObject({ sent: 0 });
    expect(inboxFor('lease@example.com')).toHaveLength(1);

    // No transaction is open while the SMTP server is talked to.
    const third = await newOrder({ email: 'notx@example.com', name: 'No Tx' });
    let openTransactions = -1;
    const probe = {
      sendMail: async (m: Parameters<typeof transport.sendMail>[0]) => {
        const [{ n }] = await sql<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`,
        );
        openTransactions = n;
        return transport.sendMail(m);
      },
    };
    expect(await sendPending(db.orm, probe, { from: FROM })).toMatchObject({ sent: 1 });
    expect(openTransactions).toBe(0);
    expect(inboxFor('notx@example.com')[0]?.mail.messageId).toBe(`<notification-${(await rowsFor(third.id))[0].id}@order-console>`);
  });
});

describe('shipped and delivered emails', () => {
  it("carry the carrier's tracking link and, once delivered, a rating request", async () => {
    const order = await newOrder({ email: 'ship@example.com', name: 'Shipper', locale: 'zh-CN' });
    await sendPending(db.orm, transport, { from: FROM });
    const [carrier] = await sql<{ id: number; name: string }>(`select id, name from carrier where code = 'ups'`);
    await sql(
      `insert into shipment (order_id, warehouse_id, carrier_id, service, tracking_number, status, weight_grams, lines, created_at, shipped_at)
               select ?, id, ?, 'ground', '1ZMAILTEST', 'in_transit', 100, '[]', now(), now() from warehouse order by id limit 1`,
      [order.id, carrier.id],
    );
    const id = await db.orm.em.fork().transactional((em) => enqueueNotification(em, { orderId: order.id, template: 'order_shipped' }));
    expect(id).toBeTypeOf('number');
    await sendPending(db.orm, transport, { from: FROM });
    const shipped = inboxFor('ship@example.com').find((m) => m.mail.subject?.includes('已发货'));
    expect(shipped?.mail.subject).toBe(`您的订单 ${order.number} 已发货`);
    expect(shipped?.mail.text).toContain('1ZMAILTEST');
    expect(shipped?.mail.text).toContain('https://www.ups.com/track?tracknum=1ZMAILTEST');
    expect(shipped?.mail.html || '').toContain('href="https://www.ups.com/track?tracknum=1ZMAILTEST"');

    await sql(`update shipment set status = 'delivered', delivered_at = '2026-03-09T12:00:00Z' where order_id = ?`, [order.id]);
    await db.orm.em.fork().transactional((em) => enqueueNotification(em, { orderId: order.id, template: 'order_delivered' }));
    await sendPending(db.orm, transport, { from: FROM });
    const delivered = inboxFor('ship@example.com').find((m) => m.mail.subject?.includes('签收'));
    expect(delivered?.mail.text).toContain(`/track/${order.trackingToken}?rate=1`);
    expect(delivered?.mail.text).toContain('2026年3月9日');
    expect((await rowsFor(order.id)).map((r) => [r.template, r.status])).toEqual([
      ['order_confirmation', 'sent'],
      ['order_shipped', 'sent'],
      ['order_delivered', 'sent'],
    ]);
  });
});

describe('the sender loop', () => {
  it('wakes on NOTIFY when a mail is committed, and stops cleanly', async () => {
    const stop = startNotificationSender(
      db.orm,
      { DATABASE_URL: db.url, SMTP_URL: undefined, MAIL_FROM: FROM },
      {
        transport,
        pollMs: 60_000,
        log: { info: () => {}, warn: () => {} },
      },
    );
    try {
      await new Promise((r) => setTimeout(r, 300)); // LISTEN is up
      const order = await newOrder({ email: 'loop@example.com', name: 'Loop' });
      const deadline = Date.now() + 10_000;
      while (inboxFor('loop@example.com').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(inboxFor('loop@example.com')).toHaveLength(1);
      expect(inboxFor('loop@example.com')[0].from).toBe('shop@example.test');
      await new Promise((r) => setTimeout(r, 100));
      expect((await rowsFor(order.id))[0].status).toBe('sent');
    } finally {
      await stop();
    }
  });
});

describe('console outbox page', () => {
  const signedIn = (role: string) => signIn(app, role);

  it('lists held mail with its text for admins, and retries it (CSRF-checked, admins only, audited)', async () => {
    const order = await newOrder({ email: 'page@example.com', name: 'Page <Reader>' });
    await sendPending(db.orm, null);
    const [{ id }] = await db.orm.em.getConnection().execute<{ id: number }[]>('select id from notification where order_id = ?', [order.id]);

    const admin = await signedIn('admin');
    const list = await admin.get('/settings/notifications?status=held');
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain('page@example.com');
    expect(html).toContain(`We have received your order ${order.number}`);
    expect(html).toContain('data-testid="notification-row"');
    const detail = await (await admin.get(`/settings/notifications?id=${id}`)).text();
    expect(detail).toContain('data-testid="notification-detail"');
    expect(detail).toContain('Hi Page &lt;Reader&gt;,');
    const sent = await (await admin.get('/settings/notifications?status=sent')).text();
    expect(sent).toContain('mei@example.tw');
    expect(sent).not.toContain('page@example.com');

    expect((await admin.post('/settings/notifications', { intent: 'retry', id: String(id) }, { csrf: false })).status).toBe(403);
    const agent = await signedIn('agent');
    expect((await agent.post('/settings/notifications', { intent: 'retry', id: String(id) })).status).toBe(403);

    const ok = await admin.post('/settings/notifications', { intent: 'retry', id: String(id) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('data-testid="notifications-retried"');
    const [row] = await db.orm.em.getConnection().execute<{ status: string }[]>('select status from notification where id = ?', [id]);
    expect(row.status).toBe('queued');
    const [a] = await db.orm.em
      .getConnection()
      .execute<{ actor_label: string }[]>(`select actor_label from audit_event where action = 'notification.retried' and entity_id = ?`, [String(id)]);
    expect(a.actor_label).toBe(app.credentials.users.find((u) => u.role === 'admin')!.email);
    expect((await admin.post('/settings/notifications', { intent: 'retry', id: String(id) })).status).toBe(409);
  });
});
