// The service desk's intake and conversation against the real PostgreSQL and a real SMTP conversation:
// mail to the inbound listener becomes a ticket matched to its customer and order; the same mail twice
// is one message; replies go out threaded and the customer's answer (by In-Reply-To or by the reply
// token) lands on the same ticket; forged tokens, unknown orders, HTML, malformed MIME and oversized
// mail get a safe ticket or a clear refusal. Also the API (Idempotency-Key), search in Chinese, the
// tracking page's contact form, attachments as downloads, and who may see the desk.
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { sendPending } from '../../app/modules/notifications/service.server.ts';
import { startInboundSmtp, type InboundSmtp } from '../../app/modules/service/inbound.server.ts';
import { listTickets, parseQueueFilters } from '../../app/modules/service/queries.server.ts';
import { addNote, mergeTickets, reply, splitMessage, updateTicket } from '../../app/modules/service/tickets.server.ts';
import type { TestDatabase } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { signIn } from '../support/http.ts';
import { refusal } from '../support/domain.ts';
import { connectSocket } from '../support/socket.ts';
import type { Socket } from 'socket.io-client';

let app: TestApp;
let db: TestDatabase;
let inbound: InboundSmtp;
let customerMail: ReturnType<typeof nodemailer.createTransport>;
let outbox: SMTPServer;
let outboxPort: number;
const sent: ParsedMail[] = [];
const agent = { type: 'user' as const, id: 0, label: 'agent@demo.test' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);

interface Customer {
  id: number;
  email: string;
  name: string;
}
let buyer: Customer;
let order: { id: number; number: string };

beforeAll(async () => {
  process.env.SUPPORT_EMAIL = 'support@shop.test';
  app = await startTestApp({ worker: false });
  db = app.db;
  inbound = await startInboundSmtp(db.orm, { port: 0, log: { info: () => {}, warn: () => {} } });
  customerMail = nodemailer.createTransport({ host: '127.0.0.1', port: inbound.port, secure: false, ignoreTLS: true });
  const [a] = await sql<{ id: number }>(`select id from app_user where email = 'agent@demo.test'`);
  agent.id = Number(a.id);
  const [o] = await sql<{ id: number; number: string; customer_id: number; email: string; name: string }>(
    `select o.id, o.number, c.id as customer_id, c.email, c.name from sales_order o join customer c on c.id = o.customer_id order by o.id limit 1`,
  );
  buyer = { id: Number(o.customer_id), email: o.email, name: o.name };
  order = { id: Number(o.id), number: o.number };
  // Where the desk's replies are delivered (the customer's mail server).
  outbox = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _s, callback) {
      simpleParser(stream).then((m) => {
        sent.push(m);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => outbox.listen(0, '127.0.0.1', () => resolve()));
  outboxPort = (outbox.server.address() as AddressInfo).port;
});

afterAll(async () => {
  customerMail?.close();
  await inbound?.stop();
  await new Promise<void>((resolve) => (outbox ? outbox.close(() => resolve()) : resolve()));
  await app?.stop();
});

const ticketOf = async (messageId: string) =>
  (await sql<{ ticket_id: number }>(`select ticket_id from ticket_message where message_id = ?`, [messageId])).map((r) => Number(r.ticket_id))[0];
const ticket = async (id: number) => (await sql<Record<string, unknown>>(`select * from ticket where id = ?`, [id]))[0];
const messages = async (id: number) =>
  sql<{ kind: string; body: string; message_id: string | null }>(`select kind, body, message_id from ticket_message where ticket_id = ? order by id`, [id]);
const mailFrom = (from: string, opts: SendMailOptions) => customerMail.sendMail({ from, to: 'support@shop.test', ...opts });
const deliverReplies = async () => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: outboxPort, secure: false, ignoreTLS: true });
  try {
    await sendPending(db.orm, transport, { from: 'Shop <support@shop.test>' });
  } finally {
    transport.close();
  }
};

describe('mail in', () => {
  it('opens a ticket matched to the customer and the order the mail names, and a second delivery adds nothing', async () => {
    const messageId = `<${crypto.randomUUID()}@customer.test>`;
    const mail = { messageId, subject: 'Where is my parcel?', text: `Hello, my order ${order.number} has not arrived yet.` };
    const first = await mailFrom(`${buyer.name} <${buyer.email}>`, mail);
    expect(first.response).toMatch(/^250 Filed on TK-\d+/);
    await mailFrom(`${buyer.name} <${buyer.email}>`, mail);
    const id = await ticketOf(messageId);
    const t = await ticket(id);
    expect(t).toMatchObject({ customer_id: buyer.id, order_id: order.id, channel: 'email', status: 'new', requester_email: buyer.email });
    expect(t.match).toMatchObject({ customer: 'email', order: { by: 'number', text: order.number } });
    expect(await messages(id)).toHaveLength(1);
    const [created] = await sql(`select count(*)::int as n from audit_event where action = 'ticket.created' and entity_id = ?`, [String(id)]);
    expect(created.n).toBe(1);
    const [announced] = await sql(`select count(*)::int as n from outbox_event where type = 'ticket.created' and (payload->>'ticketId')::int = ?`, [id]);
    expect(announced.n).toBe(1);
  });

  it('threads the reply, mails it in the ticket language, and files the answer on the same ticket by In-Reply-To and by reply token', async () => {
    const first = `<${crypto.randomUUID()}@customer.test>`;
    await mailFrom(buyer.email, { messageId: first, subject: '杯子破了', text: `我的订单 ${order.number} 里的杯子破了，我要退款。` });
    const id = await ticketOf(first);
    expect((await ticket(id)).language).toBeTruthy();
    await db.orm.em.fork().transactional((em) => updateTicket(em, agent, id, { language: 'zh-CN' }));
    const seen = (await sql<{ id: number }>(`select max(id) as id from ticket_message where ticket_id = ?`, [id]))[0].id;
    const r = await db.orm.em
      .fork()
      .transactional((em) => reply(em, agent, id, { body: '很抱歉，我们马上为您处理。', seenMessageId: Number(seen), agentName: '王小明' }));
    expect(r.notificationId).not.toBeNull();
    sent.length = 0;
    await deliverReplies();
    const out = sent.find((m) => m.subject?.includes('杯子破了'));
    expect(out).toBeDefined();
    expect(out!.inReplyTo).toBe(first);
    expect(out!.text).toContain('很抱歉');
    expect(out!.text).toContain('您好');
    const replyTo = out!.replyTo!.value[0].address!;
    const token = String((await ticket(id)).token);
    expect(replyTo).toBe(`support+${token}@shop.test`);
    expect((await ticket(id)).status).toBe('pending');

    // The customer answers: by the thread headers …
    const answer = `<${crypto.randomUUID()}@customer.test>`;
    await customerMail.sendMail({
      from: buyer.email,
      to: replyTo,
      subject: `Re: ${out!.subject}`,
      text: '好的，谢谢',
      messageId: answer,
      inReplyTo: out!.messageId,
      references: [first, out!.messageId!],
    });
    expect(await ticketOf(answer)).toBe(id);
    expect((await ticket(id)).status).toBe('open');
    // … and by the reply token alone (a client that drops the headers).
    const bare = `<${crypto.randomUUID()}@customer.test>`;
    await customerMail.sendMail({ from: buyer.email, to: replyTo, subject: 'one more thing', text: '还有一个问题', messageId: bare });
    expect(await ticketOf(bare)).toBe(id);
  });

  it('refuses a forged reply token: a valid token from another sender, or a made-up one, opens a new ticket marked unverified', async () => {
    const first = `<${crypto.randomUUID()}@customer.test>`;
    await mailFrom(buyer.email, { messageId: first, subject: 'Question', text: 'A question' });
    const id = await ticketOf(first);
    const token = String((await ticket(id)).token);
    const forged = `<${crypto.randomUUID()}@evil.test>`;
    await customerMail.sendMail({ from: 'mallory@evil.test', to: `support+${token}@shop.test`, subject: 'Re: Question', text: 'refund me', messageId: forged });
    const other = await ticketOf(forged);
    expect(other).not.toBe(id);
    expect((await ticket(other)).tags).toContain('unverified-reply');
    expect((await ticket(other)).customer_id).toBeNull();
    const madeUp = `<${crypto.randomUUID()}@evil.test>`;
    await customerMail.sendMail({ from: buyer.email, to: `support+${'0'.repeat(32)}@shop.test`, subject: 'Re: x', text: 'x', messageId: madeUp });
    expect(await ticketOf(madeUp)).not.toBe(id);
  });

  it('keeps an unknown order number as an unmatched reference, and finds an order by its tracking number', async () => {
    const unknown = `<${crypto.randomUUID()}@customer.test>`;
    await mailFrom('stranger@nowhere.test', { messageId: unknown, subject: 'Order SO-999999', text: 'Where is SO-999999?' });
    const t = await ticket(await ticketOf(unknown));
    expect(t.order_id).toBeNull();
    expect(t.customer_id).toBeNull();
    expect(t.match).toMatchObject({ unmatched: ['SO-999999'] });

    const [s] = await sql<{ tracking_number: string; order_id: number; customer_id: number }>(
      `select s.tracking_number, s.order_id, o.customer_id from shipment s join sales_order o on o.id = s.order_id order by s.id limit 1`,
    );
    const byTracking = `<${crypto.randomUUID()}@customer.test>`;
    await mailFrom('someone@else.test', { messageId: byTracking, subject: 'Parcel', text: `Tracking ${s.tracking_number} is stuck` });
    const t2 = await ticket(await ticketOf(byTracking));
    expect(t2.order_id).toBe(Number(s.order_id));
    expect(t2.customer_id).toBe(Number(s.customer_id));
    expect(t2.match).toMatchObject({ customer: 'order', order: { by: 'tracking_number' } });
  });

  it('keeps HTML mail as text only, and survives malformed MIME', async () => {
    const html = `<${crypto.randomUUID()}@customer.test>`;
    await mailFrom(buyer.email, { messageId: html, subject: 'HTML', html: '<p>Hi <b>there</b></p><script>alert(1)</script><img src=x onerror=alert(2)>' });
    const [m] = await messages(await ticketOf(html));
    expect(m.body).toContain('Hi');
    expect(m.body).not.toMatch(/<script|onerror|<img/i);

    const raw = [
      `From: ${buyer.email}`,
      'To: support@shop.test',
      'Subject: =?broken?Q?x',
      'Message-ID: <malformed-1@customer.test>',
      'Content-Type: multipart/mixed; boundary="never-closed"',
      '',
      '--never-closed',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      '!!!not base64 at all\u0000',
      '',
    ].join('\r\n');
    const r = await customerMail.sendMail({ envelope: { from: buyer.email, to: ['support@shop.test'] }, raw });
    expect(r.response).toMatch(/^250/);
    expect(await ticketOf('<malformed-1@customer.test>')).toBeGreaterThan(0);
    // The listener still takes mail.
    const after = `<${crypto.randomUUID()}@customer.test>`;
    await mailFrom(buyer.email, { messageId: after, subject: 'still here', text: 'ok' });
    expect(await ticketOf(after)).toBeGreaterThan(0);
  });

  it('refuses a 30 MB mail with 552 and writes nothing; keeps small attachments as downloads and lists big ones', async () => {
    const [{ n: before }] = await sql<{ n: number }>(`select count(*)::int as n from ticket_message`);
    const huge = `<${crypto.randomUUID()}@customer.test>`;
    const refused = await mailFrom(buyer.email, {
      messageId: huge,
      subject: 'big',
      text: 'see attached',
      attachments: [{ filename: 'video.mp4', content: Buffer.alloc(30 * 1024 * 1024, 1) }],
    }).then(
      () => null,
      (e: { responseCode?: number }) => e,
    );
    expect(refused?.responseCode).toBe(552);
    const [{ n: after }] = await sql<{ n: number }>(`select count(*)::int as n from ticket_message`);
    expect(after).toBe(before);

    const withFiles = `<${crypto.randomUUID()}@customer.test>`;
    await mailFrom(buyer.email, {
      messageId: withFiles,
      subject: 'photos',
      text: 'photos attached',
      attachments: [
        { filename: 'photo.html', content: '<script>alert(1)</script>', contentType: 'text/html' },
        { filename: 'scan.pdf', content: Buffer.alloc(12 * 1024 * 1024, 2) },
      ],
    });
    const id = await ticketOf(withFiles);
    const [m] = await messages(id);
    expect(m.body).toContain('scan.pdf');
    const files = await sql<{ id: number; filename: string; size: number }>(
      `select a.id, a.filename, a.size from ticket_attachment a join ticket_message m on m.id = a.message_id where m.ticket_id = ?`,
      [id],
    );
    expect(files.map((f) => f.filename)).toEqual(['photo.html']);
    const browser = await signIn(app, 'agent');
    const res = await browser.get(`/service/attachments/${files[0].id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const warehouse = await signIn(app, 'warehouse');
    expect((await warehouse.get(`/service/attachments/${files[0].id}`)).status).toBe(403);
  });
});

describe('the conversation', () => {
  const open = async (subject: string, text: string, from = buyer.email) => {
    const id = `<${crypto.randomUUID()}@customer.test>`;
    await mailFrom(from, { messageId: id, subject, text });
    return ticketOf(id);
  };

  it('warns before a reply that would cross a colleague’s, and sends it when told to', async () => {
    const id = await open('Collision', 'two agents');
    const seen = Number((await sql<{ id: number }>(`select max(id) as id from ticket_message where ticket_id = ?`, [id]))[0].id);
    const [ops] = await sql<{ id: number }>(`select id from app_user where email = 'ops@demo.test'`);
    const colleague = { type: 'user' as const, id: Number(ops.id), label: 'ops@demo.test' };
    await db.orm.em.fork().transactional((em) => reply(em, colleague, id, { body: 'First!', seenMessageId: seen, agentName: 'Olivia' }));
    const e = await refusal(db.orm.em.fork().transactional((em) => reply(em, agent, id, { body: 'Second', seenMessageId: seen, agentName: '王小明' })));
    expect(e.code).toBe('ticket_replied_meanwhile');
    expect((await messages(id)).filter((m) => m.kind === 'reply')).toHaveLength(1);
    await db.orm.em.fork().transactional((em) => reply(em, agent, id, { body: 'Second', seenMessageId: seen, force: true, agentName: '王小明' }));
    expect((await messages(id)).filter((m) => m.kind === 'reply')).toHaveLength(2);
  });

  it('mentions notify the colleague; merge moves messages; split takes one out', async () => {
    const a = await open('Merge A', 'first');
    const b = await open('Merge B', 'second');
    const note = await db.orm.em.fork().transactional((em) => addNote(em, agent, a, { body: 'please look @ops', authorName: '王小明' }));
    const [ops] = await sql<{ id: number }>(`select id from app_user where email = 'ops@demo.test'`);
    expect(note.mentioned).toEqual([Number(ops.id)]);
    const [mentioned] = await sql(`select count(*)::int as n from outbox_event where type = 'ticket.mentioned' and (payload->>'userId')::int = ?`, [
      Number(ops.id),
    ]);
    expect(mentioned.n).toBeGreaterThan(0);

    await db.orm.em.fork().transactional((em) => mergeTickets(em, agent, b, a));
    expect((await ticket(b)).status).toBe('merged');
    expect((await messages(a)).filter((m) => m.kind === 'customer')).toHaveLength(2);
    // Mail threaded to the merged ticket lands on the one it was merged into.
    const [bMsg] = await sql<{ message_id: string }>(`select message_id from ticket_message where ticket_id = ? and body = 'second'`, [a]);
    const follow = `<${crypto.randomUUID()}@customer.test>`;
    await customerMail.sendMail({
      from: buyer.email,
      to: 'support@shop.test',
      subject: 'Re: Merge B',
      text: 'and?',
      messageId: follow,
      inReplyTo: bMsg.message_id,
    });
    expect(await ticketOf(follow)).toBe(a);

    const [m] = await sql<{ id: number }>(`select id from ticket_message where ticket_id = ? and body = ?`, [a, 'and?']);
    const split = await db.orm.em.fork().transactional((em) => splitMessage(em, agent, Number(m.id)));
    expect((await messages(split.ticketId)).map((x) => x.body)).toEqual(['and?']);
    const e = await refusal(db.orm.em.fork().transactional((em) => mergeTickets(em, agent, a, a)));
    expect(e.errors?.[0]?.field).toBe('intoId');
  });

  it('finds tickets by Chinese words and by ticket number', async () => {
    const id = await open('包裹问题', '你好，我的包裹到了但是杯子碎了，请帮我换一个');
    const em = db.orm.em.fork();
    const found = await listTickets(em, agent.id, parseQueueFilters(new URLSearchParams({ q: '杯子碎了' })));
    expect(found.rows.map((r) => r.id)).toContain(id);
    const none = await listTickets(em, agent.id, parseQueueFilters(new URLSearchParams({ q: '退货地址' })));
    expect(none.rows.map((r) => r.id)).not.toContain(id);
    const number = String((await ticket(id)).number);
    const byNumber = await listTickets(em, agent.id, parseQueueFilters(new URLSearchParams({ q: number.toLowerCase() })));
    expect(byNumber.rows.map((r) => r.id)).toEqual([id]);
  });

  it('pages the queue with keyset cursors without repeating a ticket', async () => {
    const em = db.orm.em.fork();
    const seen = new Set<number>();
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await listTickets(em, agent.id, parseQueueFilters(new URLSearchParams(after ? { sort: 'created', after } : { sort: 'created' })));
      for (const r of page.rows) {
        expect(seen.has(r.id)).toBe(false);
        seen.add(r.id);
      }
      after = page.nextCursor;
      if (!after) break;
    }
    const [{ n }] = await sql<{ n: number }>(`select count(*)::int as n from ticket where status <> 'merged'`);
    expect(seen.size).toBe(n);
  });
});

describe('API, tracking page and roles', () => {
  const api = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(app.url + path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${app.credentials.apiKey}`, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('POST /api/v1/tickets is idempotent by key, refuses bad input by field, and takes messages', async () => {
    const key = crypto.randomUUID();
    const body = { subject: 'Chat: damaged', body: 'It arrived broken', email: buyer.email, order: order.number };
    const a = await api('/api/v1/tickets', body, { 'Idempotency-Key': key });
    expect(a.status).toBe(201);
    const first = (await a.json()) as { id: number; order: string };
    expect(first.order).toBe(order.number);
    const b = await api('/api/v1/tickets', body, { 'Idempotency-Key': key });
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(((await b.json()) as { id: number }).id).toBe(first.id);
    expect((await api('/api/v1/tickets', { ...body, subject: 'other' }, { 'Idempotency-Key': key })).status).toBe(422);
    const bad = await api('/api/v1/tickets', { subject: '', body: 'x', email: 'not-an-email', extra: 1 });
    expect(bad.status).toBe(422);
    const problem = (await bad.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toEqual(expect.arrayContaining(['subject', 'email']));
    const msg = await api(`/api/v1/tickets/${first.id}/messages`, { body: 'Any news?' });
    expect(msg.status).toBe(201);
    const got = (await (await fetch(`${app.url}/api/v1/tickets/${first.id}`, { headers: { Authorization: `Bearer ${app.credentials.apiKey}` } })).json()) as {
      messages: unknown[];
    };
    expect(got.messages).toHaveLength(2);
    expect((await api(`/api/v1/tickets/999999/messages`, { body: 'x' })).status).toBe(404);
  });

  it('POST /api/v1/inbound-mail files a raw message, once', async () => {
    const raw = [
      `From: ${buyer.email}`,
      'To: support@shop.test',
      'Subject: via webhook',
      `Message-ID: <hook-${crypto.randomUUID()}@customer.test>`,
      '',
      'hello',
    ].join('\r\n');
    const post = () =>
      fetch(app.url + '/api/v1/inbound-mail', {
        method: 'POST',
        headers: { Authorization: `Bearer ${app.credentials.apiKey}`, 'Content-Type': 'message/rfc822' },
        body: raw,
      });
    const a = await post();
    expect(a.status).toBe(201);
    const b = (await (await post()).json()) as { duplicate: boolean };
    expect(b.duplicate).toBe(true);
    const noSender = await fetch(app.url + '/api/v1/inbound-mail', {
      method: 'POST',
      headers: { Authorization: `Bearer ${app.credentials.apiKey}`, 'Content-Type': 'message/rfc822' },
      body: 'Subject: nobody\r\n\r\nx',
    });
    expect(noSender.status).toBe(422);
  });

  it('the tracking page opens one ticket about its order, however often the form is sent', async () => {
    const [o] = await sql<{ tracking_token: string; id: number }>(`select tracking_token, id from sales_order where id = ?`, [order.id]);
    const { Browser } = await import('../support/http.ts');
    const visitor = new Browser(app.url);
    const page = await visitor.get(`/track/${o.tracking_token}`);
    const nonce = (await page.text()).match(/name="nonce" value="([^"]+)"/)![1];
    const form = { intent: 'contact', nonce, message: 'Can I change the delivery address?' };
    expect((await visitor.post(`/track/${o.tracking_token}`, form)).status).toBe(200);
    expect((await visitor.post(`/track/${o.tracking_token}`, form)).status).toBe(200);
    const rows = await sql<{ id: number; order_id: number; channel: string }>(
      `select t.id, t.order_id, t.channel from ticket t join ticket_message m on m.ticket_id = t.id where m.body = ?`,
      [form.message],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ order_id: order.id, channel: 'tracking_page' });
    const empty = await visitor.post(`/track/${o.tracking_token}`, { intent: 'contact', nonce: crypto.randomUUID(), message: '   ' });
    expect(empty.status).toBe(422);
  });

  it('agents, ops managers and admins work the desk; warehouse and executives may not', async () => {
    const [t] = await sql<{ id: number }>(`select id from ticket order by id limit 1`);
    for (const role of ['agent', 'ops_manager', 'admin']) {
      const b = await signIn(app, role);
      expect((await b.get('/service')).status, role).toBe(200);
      expect((await b.get(`/service/${t.id}`)).status, role).toBe(200);
    }
    for (const role of ['warehouse', 'executive']) {
      const b = await signIn(app, role);
      expect((await b.get('/service')).status, role).toBe(403);
      expect((await b.get(`/service/${t.id}`)).status, role).toBe(403);
      expect((await b.post(`/service/${t.id}`, { intent: 'note', body: 'x' })).status, role).toBe(403);
    }
    const b = await signIn(app, 'agent');
    expect((await b.get('/service/999999')).status).toBe(404);
    expect((await b.get('/service/abc')).status).toBe(404);
    const bad = await b.post(`/service/${t.id}`, { intent: 'fields', status: 'merged', priority: 'normal', language: 'en' });
    expect(bad.status).toBe(422);
    const unknown = await b.post(`/service/${t.id}`, { intent: 'match', order: 'SO-999999' });
    expect(unknown.status).toBe(422);
    const note = await b.post(`/service/${t.id}`, { intent: 'note', body: '<script>alert(1)</script>' });
    expect(note.status).toBe(200);
    const html = await (await b.get(`/service/${t.id}`)).text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    void SYSTEM;
  });
});

describe('who else is on the ticket', () => {
  type Viewer = { userId: number; name: string; typing: boolean };
  const seen = (s: Socket, ticketId: number, test: (v: Viewer[]) => boolean, ms = 8000) =>
    new Promise<Viewer[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        s.off('ticket:presence', on);
        reject(new Error('no such presence within timeout'));
      }, ms);
      const on = (m: { ticketId: number; viewers: Viewer[] }) => {
        if (m.ticketId !== ticketId || !test(m.viewers)) return;
        clearTimeout(timer);
        s.off('ticket:presence', on);
        resolve(m.viewers);
      };
      s.on('ticket:presence', on);
    });

  it('shows colleagues viewing and typing live, and refuses who may not see the desk and bad payloads', async () => {
    const [t] = await sql<{ id: number }>(`select id from ticket where status <> 'merged' order by id limit 1`);
    const id = Number(t.id);
    const [ops] = await sql<{ id: number }>(`select id from app_user where email = 'ops@demo.test'`);
    const a = await connectSocket(app, 'agent');
    const o = await connectSocket(app, 'ops_manager');
    try {
      const first = (await a.emitWithAck('ticket:join', { ticketId: id })) as { viewers: Viewer[] };
      expect(first.viewers.map((v) => v.userId)).toEqual([agent.id]);
      const agentSeesOps = seen(a, id, (v) => v.some((x) => x.userId === Number(ops.id)));
      await o.emitWithAck('ticket:join', { ticketId: id });
      await agentSeesOps;
      const opsSeesTyping = seen(o, id, (v) => v.some((x) => x.userId === agent.id && x.typing));
      expect(await a.emitWithAck('ticket:typing', { ticketId: id, typing: true })).toEqual({ ok: true });
      await opsSeesTyping;
      const agentGone = seen(o, id, (v) => !v.some((x) => x.userId === agent.id));
      a.close();
      await agentGone;

      expect(await o.emitWithAck('ticket:join', { ticketId: 999_999 })).toEqual({ error: 'not_found' });
      expect(((await o.emitWithAck('ticket:join', { ticketId: 'x' })) as { error: string }).error).toBe('invalid');
      expect(((await o.emitWithAck('ticket:typing', { ticketId: id, typing: 'yes', extra: 1 })) as { error: string }).error).toBe('invalid');
      const w = await connectSocket(app, 'warehouse');
      expect(await w.emitWithAck('ticket:join', { ticketId: id })).toEqual({ error: 'forbidden' });
      w.close();
    } finally {
      a.close();
      o.close();
    }
  });
});
