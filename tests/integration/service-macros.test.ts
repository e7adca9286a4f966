// Macros on the service desk, against the real PostgreSQL, web server, worker and Temporal dev server:
// a run key runs a macro once however many clicks arrive at once; a refund within the agent's limits
// runs at once, one over the per-ticket or per-day limit waits for an ops manager in the task inbox
// (a durable approval run) and then runs once with the rest of the macro, or is rejected with a note;
// every order action shows on the order's timeline; bad inputs are 422 on their field with nothing
// written. Also: who may open the desk's settings screens, and the public CSAT page.
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../app/lib/audit.server.ts';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { can, ROLES } from '../../app/lib/permissions.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { saveCanned } from '../../app/modules/service/canned.server.ts';
import { macroPanelData, runMacro, saveMacro, type MacroRunView } from '../../app/modules/service/macros.server.ts';
import { openTicket } from '../../app/modules/service/tickets.server.ts';
import { decideTask } from '../../app/modules/workflows/tasks.server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { refusal } from '../support/domain.ts';
import { Browser, signIn } from '../support/http.ts';
import { testEnv } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

let app: TestApp;
let client: Client;
let connection: Connection;
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => app.db.orm.em.getConnection().execute<T[]>(q, p);
const AGENTS = ['agent-a', 'agent-b', 'agent-c', 'agent-d'] as const;
const agents: Record<string, Actor> = {};
let goodwill: number;
let damaged: number;
let cancelMacro: number;
const opsActor: Actor = { type: 'user', id: 0, label: 'ops@test' };

async function paidOrder(): Promise<number> {
  const r = await createOrder(
    app.db.orm,
    {
      channel: 'web',
      externalId: `SM-${crypto.randomUUID()}`,
      customer: { email: 'mia.macro@example.com', name: 'Mia Macro' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [
        { sku: 'SM-A', quantity: 2, unitPrice: 4_000 },
        { sku: 'SM-B', quantity: 1, unitPrice: 25_000 },
      ],
      paymentMethod: 'cash',
      paidAmount: 33_000,
    },
    { actor: SYSTEM, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  return r.order.id;
}

async function ticketFor(orderId: number, language: 'en' | 'zh-CN' = 'en'): Promise<number> {
  return app.db.orm.em.fork().transactional(async (em) => {
    const r = await openTicket(em, SYSTEM, {
      channel: 'email',
      source: 'email',
      fromEmail: 'mia.macro@example.com',
      fromName: 'Mia Macro',
      subject: 'Broken item',
      body: 'One of the things I got is broken.',
      orderId,
      language,
    });
    return r.ticketId;
  });
}

const key = () => `test-${crypto.randomUUID()}`;
const lines = (orderId: number) => sql<{ id: number; sku: string }>('select id, sku from order_line where order_id = ? order by id', [orderId]);
const refunded = async (orderId: number) =>
  Number((await sql<{ r: string }>('select coalesce(sum(refunded_minor), 0) as r from payment where order_id = ?', [orderId]))[0].r);
const refundOps = async (orderId: number) =>
  Number(
    (await sql<{ n: string }>(`select count(*) as n from payment_operation where kind = 'refund' and idempotency_key like ?`, [`order-refund:${orderId}:%`]))[0]
      .n,
  );
const runs = async () => Number((await sql<{ n: string }>('select count(*) as n from macro_run'))[0].n);
const runRow = async (id: number) => (await sql<{ status: string }>('select status from macro_run where id = ?', [id]))[0];
const goodwillRun = (actor: Actor, ticketId: number, amount: string, k = key()) =>
  runMacro(app.db.orm, actor, { ticketId, macroId: goodwill, key: k, inputs: { amount }, agentName: String(actor.label), role: 'agent' });
const openTaskOf = (runId: number) => async () =>
  (await sql<{ id: number }>(`select id from human_task where workflow_id = ? and status = 'open'`, [`macro-approval-${runId}`]))[0] ?? null;

beforeAll(async () => {
  app = await startTestApp({ extraUsers: AGENTS.map((k) => ({ key: k, role: 'agent' as const })) });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
  // The demo's flows would move these orders on (pick, ship): only the approval runs matter here.
  await sql('update workflow_binding set active = false');
  for (const [sku, price] of [
    ['SM-A', 4_000],
    ['SM-B', 25_000],
  ] as const) {
    await sql(
      `insert into product (sku, barcode, name, category, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 'Test', 300, 1, 1, 1, ?, 'USD')`,
      [sku, `BC-${sku}`, `Item ${sku}`, price],
    );
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
       select p.id, w.id, 50, 0, 0, 0, 'A-01-1', now() from product p, warehouse w where p.sku = ? and w.code = 'EWR'`,
      [sku],
    );
  }
  for (const k of AGENTS) {
    const [u] = await sql<{ id: number }>('select id from app_user where email = ?', [`${k}@test.local`]);
    agents[k] = { type: 'user', id: u.id, label: `${k}@test.local` };
  }
  const [ops] = await sql<{ id: number; email: string }>(`select id, email from app_user where role = 'ops_manager' order by id limit 1`);
  Object.assign(opsActor, { id: ops.id, label: ops.email });
  const canned = await saveCanned(
    app.db.orm,
    null,
    { name: 'Goodwill', bodies: { en: 'We refunded you, {{ customer.name }} ({{ order.number }}).' }, tags: '' },
    SYSTEM,
  );
  goodwill = (
    await saveMacro(
      app.db.orm,
      null,
      {
        name: 'Goodwill refund',
        inputs: [{ key: 'amount', type: 'amount', label: 'Amount' }],
        actions: [
          { type: 'refund', amount: 'amount', reason: 'goodwill' },
          { type: 'reply', cannedId: canned.id, status: 'pending' },
          { type: 'tag', tags: ['goodwill'] },
          { type: 'set_status', status: 'solved' },
        ],
      },
      SYSTEM,
    )
  ).id;
  damaged = Number((await sql<{ id: number }>(`select id from macro where name = 'Refund damaged item'`))[0].id);
  cancelMacro = (
    await saveMacro(
      app.db.orm,
      null,
      {
        name: 'Cancel and tag',
        inputs: [],
        actions: [
          { type: 'cancel_order', reason: 'customer asked' },
          { type: 'tag', tags: ['cancelled'] },
        ],
      },
      SYSTEM,
    )
  ).id;
}, 240_000);

afterAll(async () => {
  await connection?.close();
  await app?.stop();
});

describe('running a macro', () => {
  it('runs once per key however many clicks arrive at once: one run, one refund, one payment operation', async () => {
    const orderId = await paidOrder();
    const ticketId = await ticketFor(orderId);
    const [a] = await lines(orderId);
    const k = key();
    const before = await runs();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        runMacro(app.db.orm, agents['agent-a'], {
          ticketId,
          macroId: damaged,
          key: k,
          inputs: { line: String(a.id), quantity: '1' },
          agentName: 'Agent A',
          role: 'agent',
        }),
      ),
    );
    expect(await runs()).toBe(before + 1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const run = await waitFor('the run to finish', async () => ((await runRow(results[0].id)).status === 'done' ? true : null));
    expect(run).toBe(true);
    expect(await refunded(orderId)).toBe(4_000);
    expect(await refundOps(orderId)).toBe(1);
    // Clicking again later answers the same run and changes nothing.
    const again = await runMacro(app.db.orm, agents['agent-a'], {
      ticketId,
      macroId: damaged,
      key: k,
      inputs: { line: String(a.id), quantity: '1' },
      agentName: 'Agent A',
      role: 'agent',
    });
    expect(again).toMatchObject({ id: results[0].id, duplicate: true, status: 'done' });
    expect(await refunded(orderId)).toBe(4_000);
    // The rest of the macro ran: a reply mailed, tagged damaged, solved.
    const [t] = await sql<{ tags: string[]; status: string }>('select tags, status from ticket where id = ?', [ticketId]);
    expect(t).toEqual({ tags: ['damaged'], status: 'solved' });
    const replies = await sql<{ body: string }>(`select body from ticket_message where ticket_id = ? and kind = 'reply'`, [ticketId]);
    expect(replies).toHaveLength(1);
    expect(replies[0].body).toContain('arrived damaged');
  });

  it('shows each order action on the order’s audit trail and timeline, translated, and on the ticket’s', async () => {
    const orderId = await paidOrder();
    const ticketId = await ticketFor(orderId);
    const run = await goodwillRun(agents['agent-a'], ticketId, '5.00');
    expect(run.status).toBe('done');
    const onOrder = await sql<{ action: string }>(
      `select action from audit_event where entity_type = 'Order' and entity_id = ? and action like 'macro.%' order by id`,
      [String(orderId)],
    );
    expect(onOrder.map((e) => e.action)).toEqual(['macro.refund']);
    const onTicket = await sql<{ action: string }>(
      `select action from audit_event where entity_type = 'Ticket' and entity_id = ? and action like 'macro.%' order by id`,
      [String(ticketId)],
    );
    expect(onTicket.map((e) => e.action)).toEqual(['macro.started', 'macro.refund', 'macro.reply', 'macro.tag', 'macro.set_status', 'macro.done']);
    const admin = await signIn(app, 'admin');
    const html = (await (await admin.get(`/orders/${orderId}`)).text()).replace(/<!-- -->/g, '');
    expect(html).toContain('Refund by macro');

    const cancelled = await paidOrder();
    const t2 = await ticketFor(cancelled);
    const r2 = await runMacro(app.db.orm, agents['agent-a'], {
      ticketId: t2,
      macroId: cancelMacro,
      key: key(),
      inputs: {},
      agentName: 'Agent A',
      role: 'agent',
    });
    expect(r2.status).toBe('done');
    expect((await sql<{ status: string }>('select status from sales_order where id = ?', [cancelled]))[0].status).toBe('cancelled');
    const trail = await sql<{ action: string }>(`select action from audit_event where entity_type = 'Order' and entity_id = ? order by id`, [
      String(cancelled),
    ]);
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['order.status_changed', 'macro.cancel_order']));
  });

  it('refuses bad inputs with 422 on the field, writing nothing', async () => {
    const orderId = await paidOrder();
    const ticketId = await ticketFor(orderId);
    const [a] = await lines(orderId);
    const before = { runs: await runs(), refunded: await refunded(orderId) };
    const run = (inputs: Record<string, unknown>, macroId = damaged) =>
      refusal(runMacro(app.db.orm, agents['agent-a'], { ticketId, macroId, key: key(), inputs, agentName: 'Agent A', role: 'agent' }));
    const unknownLine = await run({ line: '999999999', quantity: '1' });
    expect(unknownLine).toMatchObject({ status: 422, errors: [{ field: 'inputs.line', code: 'unknownLine', messageKey: 'macros.errors.unknownLine' }] });
    const tooMany = await run({ line: String(a.id), quantity: '3' });
    expect(tooMany).toMatchObject({ status: 422, errors: [{ field: 'inputs.quantity', code: 'quantityTooBig', params: { max: 2 } }] });
    const zero = await run({ line: String(a.id), quantity: '0' });
    expect(zero.errors).toEqual([expect.objectContaining({ field: 'inputs.quantity', code: 'quantityInvalid' })]);
    const negative = await run({ amount: '-5.00' }, goodwill);
    expect(negative).toMatchObject({ status: 422, errors: [{ field: 'inputs.amount', code: 'amountInvalid' }] });
    const tooBig = await run({ amount: '9999.00' }, goodwill);
    expect(tooBig).toMatchObject({ status: 422, errors: [{ field: 'inputs.amount', code: 'refundTooBig' }] });
    const missing = await run({}, goodwill);
    expect(missing.errors).toEqual([expect.objectContaining({ field: 'inputs.amount', code: 'required' })]);
    const badKey = await refusal(
      runMacro(app.db.orm, agents['agent-a'], { ticketId, macroId: goodwill, key: 'x', inputs: { amount: '1' }, agentName: 'A', role: 'agent' }),
    );
    expect(badKey).toMatchObject({ status: 422, errors: [{ field: 'key' }] });
    const warehouse = await refusal(
      runMacro(app.db.orm, agents['agent-a'], { ticketId, macroId: goodwill, key: key(), inputs: { amount: '1' }, agentName: 'A', role: 'warehouse' }),
    );
    expect(warehouse.status).toBe(403);
    expect(await runs()).toBe(before.runs);
    expect(await refunded(orderId)).toBe(before.refunded);
  });
});

describe('order actions', () => {
  it('reships a line at no charge, changes the address before picking and resends the confirmation, each on the order’s trail', async () => {
    const orderId = await paidOrder();
    const ticketId = await ticketFor(orderId);
    const [, b] = await lines(orderId);
    const { id: macroId } = await saveMacro(
      app.db.orm,
      null,
      {
        name: `Reship and fix ${crypto.randomUUID()}`,
        inputs: [
          { key: 'line', type: 'line', label: 'Item' },
          { key: 'address', type: 'address', label: 'New address' },
        ],
        actions: [
          { type: 'change_address', address: 'address' },
          { type: 'reship', line: 'line' },
          { type: 'resend_mail', template: 'order_confirmation' },
        ],
      },
      SYSTEM,
    );
    const k = key();
    const run = await runMacro(app.db.orm, agents['agent-d'], {
      ticketId,
      macroId,
      key: k,
      inputs: { line: String(b.id), address: { line1: '2 Main St', city: 'Cambridge', country: 'us', postalCode: '02139' } },
      agentName: 'Agent D',
      role: 'agent',
    });
    expect(run.status).toBe('done');
    const [o] = await sql<{ shipping_address: { line1: string; country: string } }>('select shipping_address from sales_order where id = ?', [orderId]);
    expect(o.shipping_address).toMatchObject({ line1: '2 Main St', country: 'US' });
    const replacement = run.actions[1].detail as { replacementOrderId: number };
    const [r] = await sql<{ total_minor: number; status: string }>('select total_minor, status from sales_order where id = ?', [
      replacement.replacementOrderId,
    ]);
    expect(r).toEqual({ total_minor: 0, status: 'paid' });
    expect(await sql('select 1 from reservation where order_id = ?', [replacement.replacementOrderId])).toHaveLength(1);
    expect(await sql(`select 1 from notification where template = 'order_confirmation' and idempotency_key like ?`, [`macro:${k}:%`])).toHaveLength(1);
    const trail = await sql<{ action: string }>(`select action from audit_event where entity_type = 'Order' and entity_id = ? order by id`, [String(orderId)]);
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['order.address_changed', 'macro.change_address', 'macro.reship', 'macro.resend_mail']));
  });

  it('refuses a return on an order whose return window is not open, before anything runs', async () => {
    const orderId = await paidOrder();
    const ticketId = await ticketFor(orderId);
    const [a] = await lines(orderId);
    const [{ id: macroId }] = await sql<{ id: number }>(`select id from macro where name = 'Return for exchange'`);
    const before = await runs();
    const e = await refusal(
      runMacro(app.db.orm, agents['agent-d'], {
        ticketId,
        macroId: Number(macroId),
        key: key(),
        inputs: { line: String(a.id), quantity: '1', reason: 'damaged' },
        agentName: 'Agent D',
        role: 'agent',
      }),
    );
    expect(e).toMatchObject({ status: 422, errors: [{ field: 'macro', code: 'returnClosed' }] });
    expect(await runs()).toBe(before);
  });
});

describe('approval limits', () => {
  it('runs a refund within the limits at once', async () => {
    const orderId = await paidOrder();
    const ticketId = await ticketFor(orderId);
    const run = await goodwillRun(agents['agent-b'], ticketId, '60.00');
    expect(run.status).toBe('done');
    expect(await refunded(orderId)).toBe(6_000);
  });

  it('holds a refund over the per-ticket limit for an ops manager; approved, it runs once and the rest of the macro follows', async () => {
    const orderId = await paidOrder();
    const ticketId = await ticketFor(orderId);
    // 60 + 50 on one ticket is over the agent's 100.00 per ticket.
    expect((await goodwillRun(agents['agent-b'], ticketId, '60.00')).status).toBe('done');
    const run = await goodwillRun(agents['agent-b'], ticketId, '50.00');
    expect(run).toMatchObject({ status: 'awaiting_approval', approval: { reason: 'per_ticket', workflowId: `macro-approval-${run.id}` } });
    expect(await refunded(orderId)).toBe(6_000);
    const panel = await macroPanelData(app.db.orm.em.fork(), ticketId);
    expect(panel.runs[0]).toMatchObject({ id: run.id, status: 'awaiting_approval' });
    // The approval run is durable: a task in the inbox for ops managers and admins.
    const task = await waitFor('the approval task', openTaskOf(run.id), 60_000);
    const [row] = await sql<{ roles: string[]; entity_type: string; entity_id: string }>('select roles, entity_type, entity_id from human_task where id = ?', [
      task.id,
    ]);
    expect(row).toEqual({ roles: ['ops_manager', 'admin'], entity_type: 'Order', entity_id: String(orderId) });
    await decideTask(app.db.orm, async () => client, task.id, { decision: 'approved', comment: 'fine' }, { role: 'ops_manager', actor: opsActor });
    await waitFor('the approved run to finish', async () => ((await runRow(run.id)).status === 'done' ? true : null), 60_000);
    expect(await refunded(orderId)).toBe(11_000);
    expect(await refundOps(orderId)).toBe(2);
    const [t] = await sql<{ tags: string[]; status: string }>('select tags, status from ticket where id = ?', [ticketId]);
    expect(t.status).toBe('solved');
    expect(t.tags).toContain('goodwill');
    expect(await sql(`select 1 from ticket_message where ticket_id = ? and kind = 'reply'`, [ticketId])).toHaveLength(2);
    const approved = await sql<{ action: string }>(
      `select action from audit_event where entity_type = 'Order' and entity_id = ? and action like 'macro.%' order by id`,
      [String(orderId)],
    );
    expect(approved.map((e) => e.action)).toEqual(['macro.refund', 'macro.approval_requested', 'macro.approved', 'macro.refund']);
  }, 120_000);

  it('holds a refund over the per-day limit; rejected, nothing is refunded and a note says so', async () => {
    const agent = agents['agent-c'];
    // 90 + 90 + 90 on three tickets is within 300.00 a day; 40 more is not.
    for (let i = 0; i < 3; i++) {
      const o = await paidOrder();
      expect((await goodwillRun(agent, await ticketFor(o), '90.00')).status).toBe('done');
    }
    const orderId = await paidOrder();
    const ticketId = await ticketFor(orderId);
    const run: MacroRunView = await goodwillRun(agent, ticketId, '40.00');
    expect(run).toMatchObject({ status: 'awaiting_approval', approval: { reason: 'per_day' } });
    const task = await waitFor('the approval task', openTaskOf(run.id), 60_000);
    await decideTask(app.db.orm, async () => client, task.id, { decision: 'rejected', comment: 'too generous' }, { role: 'ops_manager', actor: opsActor });
    await waitFor('the run to be rejected', async () => ((await runRow(run.id)).status === 'rejected' ? true : null), 60_000);
    expect(await refunded(orderId)).toBe(0);
    expect(await refundOps(orderId)).toBe(0);
    const notes = await sql<{ body: string }>(`select body from ticket_message where ticket_id = ? and kind = 'note'`, [ticketId]);
    expect(notes).toHaveLength(1);
    expect(notes[0].body).toContain('too generous');
    const [t] = await sql<{ status: string; tags: string[] }>('select status, tags from ticket where id = ?', [ticketId]);
    expect(t.tags).not.toContain('goodwill');
    // An admin has no limit.
    const o = await paidOrder();
    const big = await runMacro(
      app.db.orm,
      { type: 'user', id: opsActor.id, label: 'admin' },
      {
        ticketId: await ticketFor(o),
        macroId: goodwill,
        key: key(),
        inputs: { amount: '250.00' },
        agentName: 'Admin',
        role: 'admin',
      },
    );
    expect(big.status).toBe('done');
  }, 120_000);
});

describe('the desk’s settings screens', () => {
  const PAGES = ['/settings/canned-responses', '/settings/macros', '/settings/approval-limits', '/settings/macros?id=new', '/settings/canned-responses?id=new'];
  it('open for admins and ops managers only', async () => {
    for (const role of ROLES) {
      const b = await signIn(app, role);
      for (const page of PAGES) expect((await b.get(page)).status, `${role} ${page}`).toBe(can(role, 'service.settings') ? 200 : 403);
    }
  });

  it('refuses a template that does not parse, on its field, translated; saves a good one with an audit event', async () => {
    const ops = await signIn(app, 'ops_manager');
    const bad = await ops.post('/settings/canned-responses?id=new', { name: 'Broken', 'bodies.en': 'Hi {% if customer.name %}', tags: '' });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('The template does not parse');
    expect(await sql(`select 1 from canned_response where name = 'Broken'`)).toHaveLength(0);
    const ok = await ops.post('/settings/canned-responses?id=new', {
      name: 'Fine',
      'bodies.en': 'Hi {{ customer.name }}',
      'bodies.zh-CN': '您好',
      tags: 'a, b',
    });
    expect(ok.status).toBe(302);
    expect(await sql(`select 1 from audit_event where action = 'canned_response.created' and after ->> 'name' = 'Fine'`)).toHaveLength(1);
  });

  it('refuses a macro whose actions name a missing input, naming the action', async () => {
    const admin = await signIn(app, 'admin');
    const res = await admin.post('/settings/macros?id=new', {
      name: 'Bad',
      active: 'on',
      inputs: '[]',
      actions: JSON.stringify([{ type: 'refund', line: 'line' }]),
    });
    expect(res.status).toBe(422);
    expect((await res.text()).replace(/<!-- -->/g, '')).toContain('“line” is not an input of type line.');
  });

  it('saves approval limits in the base currency, refusing nonsense', async () => {
    const ops = await signIn(app, 'ops_manager');
    const bad = await ops.post('/settings/approval-limits', {
      'agent.perTicket': '-1',
      'agent.perDay': '300.00',
      'ops_manager.perTicket': '',
      'ops_manager.perDay': '',
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Enter an amount like 100.00');
    expect((await sql<{ per_ticket_minor: string }>(`select per_ticket_minor from approval_limit where role = 'agent'`))[0].per_ticket_minor).toBe('10000');
  });
});

describe('CSAT page', () => {
  it('answers an unknown or malformed token with a 404 page', async () => {
    expect((await fetch(`${app.url}/csat/${'0'.repeat(32)}`)).status).toBe(404);
    expect((await fetch(`${app.url}/csat/not-a-token`)).status).toBe(404);
  });

  it('shows the link’s rating without recording it, records it on POST (again replaces it), refuses one out of range', async () => {
    const ticketId = await ticketFor(await paidOrder(), 'zh-CN');
    const [{ token }] = await sql<{ token: string }>('select token from ticket where id = ?', [ticketId]);
    const b = new Browser(app.url);
    const page = await b.get(`/csat/${token}?rating=4`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-testid="csat-confirm"');
    expect(html).toContain('您的评分');
    expect(await sql('select 1 from csat_response where ticket_id = ?', [ticketId])).toHaveLength(0);
    const out = await b.post(`/csat/${token}`, { rating: '7' });
    expect(out.status).toBe(422);
    expect(await sql('select 1 from csat_response where ticket_id = ?', [ticketId])).toHaveLength(0);
    expect((await b.post(`/csat/${token}`, { rating: '4', comment: '很好' })).status).toBe(200);
    expect((await b.post(`/csat/${token}`, { rating: '5' })).status).toBe(200);
    expect(await sql('select rating, comment from csat_response where ticket_id = ?', [ticketId])).toEqual([{ rating: 5, comment: null }]);
    expect(await sql(`select 1 from audit_event where action = 'ticket.csat' and entity_id = ?`, [String(ticketId)])).toHaveLength(2);
    expect(await sql(`select 1 from outbox_event where type = 'ticket.csat' and payload ->> 'ticketId' = ?`, [String(ticketId)])).toHaveLength(2);
  });
});
