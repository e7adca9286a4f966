// The service desk as an agent works it, in 简体中文: a customer's mail over SMTP becomes a ticket that
// appears in the queue live, tied to the customer and the order it names; the agent runs the refund
// macro above their approval limit; an ops manager approves it in the inbox (a run on Temporal); the
// refund is captured once and the macro's reply reaches the customer threaded, in Chinese; the
// customer's answer lands on the same ticket; the agent solves it; the customer's rating on the CSAT
// page shows on the ticket.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { expect, test, type APIRequestContext } from '@playwright/test';
import nodemailer from 'nodemailer';
import { simpleParser, type ParsedMail } from 'mailparser';
import { credentials, signIn } from './fixtures.ts';

const inboundPort = () => Number(process.env.E2E_SMTP_INBOUND_PORT);
const mailDir = () => process.env.E2E_MAIL_DIR!;

/** Mail the console sent to `to` so far, oldest first. */
async function mailTo(to: string): Promise<ParsedMail[]> {
  const files = fs.existsSync(mailDir()) ? fs.readdirSync(mailDir()).sort() : [];
  const all = await Promise.all(files.map((f) => simpleParser(fs.readFileSync(path.join(mailDir(), f)))));
  return all.filter((m) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).some((a) => a.value.some((v) => v.address === to)));
}

/** The order's money as the API tells it: captured and refunded, over its payments. */
async function paid(request: APIRequestContext, orderId: number) {
  const o = (await (await request.get(`/api/v1/orders/${orderId}`, { headers: { authorization: `Bearer ${credentials().apiKey}` } })).json()) as {
    payments: { captured: number; refunded: number }[];
  };
  return { captured: o.payments.reduce((n, p) => n + p.captured, 0), refunded: o.payments.reduce((n, p) => n + p.refunded, 0) };
}

test('a customer mails in; the agent refunds by macro over their limit, the ops manager approves, the customer gets the threaded reply, answers, and rates the help', async ({
  page,
  request,
  browser,
}) => {
  // A customer with an order, placed as a channel would.
  const email = `kehu-${crypto.randomUUID().slice(0, 8)}@example.cn`;
  const stock = (await (
    await request.get('/api/v1/inventory?sku=APP-1000,FOO-1001,APP-1002', { headers: { authorization: `Bearer ${credentials().apiKey}` } })
  ).json()) as {
    items: { sku: string; atp: number }[];
  };
  const res = await request.post('/api/v1/orders', {
    headers: { authorization: `Bearer ${credentials().apiKey}`, 'content-type': 'application/json' },
    data: {
      channel: 'web',
      externalId: `DESK-${crypto.randomUUID().slice(0, 8)}`,
      customer: { email, name: '李娜', locale: 'zh-CN' },
      shippingAddress: { line1: '人民路 1 号', city: '上海', country: 'CN', lat: 31.23, lng: 121.47 },
      currency: 'USD',
      lines: [{ sku: stock.items.find((i) => i.atp > 2)!.sku, quantity: 1, unitPrice: 25_000 }],
      paymentMethod: 'cash',
      paidAmount: 25_000,
    },
  });
  expect(res.status(), await res.text()).toBe(201);
  const order = (await res.json()) as { id: number; number: string };
  expect(await paid(request, order.id)).toEqual({ captured: 25_000, refunded: 0 });

  await signIn(page, 'agent');
  await page.goto('/service?view=all');
  await expect(page.getByRole('heading', { name: '客服工作台' })).toBeVisible();
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

  // The customer writes to the desk over SMTP.
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inboundPort(), secure: false, ignoreTLS: true });
  const firstId = `<${crypto.randomUUID()}@example.cn>`;
  const subject = `杯子碎了 ${crypto.randomUUID().slice(0, 6)}`;
  await transport.sendMail({
    from: `李娜 <${email}>`,
    to: 'support@lumen.example',
    subject,
    text: `你好，订单 ${order.number} 里的杯子碎了，我要退款。`,
    messageId: firstId,
  });

  // It appears in the queue without a reload, tied to the order.
  const row = page.getByTestId('ticket-row').filter({ hasText: subject });
  await expect(row).toBeVisible({ timeout: 5000 });
  await expect(row).toContainText(order.number);
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);

  await row.getByRole('link', { name: subject }).click();
  await expect(page.getByTestId('ticket-title')).toContainText(subject);
  await expect(page.getByTestId('customer-360')).toContainText('李娜');
  await expect(page.getByTestId('c360-orders')).toContainText(order.number);
  await expect(page.getByTestId('match-explained')).toContainText(order.number);

  const ticketUrl = page.url();
  const number = (await page.getByTestId('ticket-title').locator('..').textContent())?.match(/TK-\d+/)?.[0] ?? '';

  // The agent refunds the broken cup by macro: 250.00 is over their 100.00 limit, so it waits for approval.
  await page.getByTestId('macro-select').selectOption({ label: 'Refund damaged item' });
  await page.getByTestId('macro-input-line').selectOption({ index: 1 });
  await page.getByTestId('macro-input-quantity').fill('1');
  await page.getByTestId('macro-run').click();
  await expect(page.getByTestId('macro-outcome')).toContainText('等待审批');
  expect(await paid(request, order.id)).toEqual({ captured: 25_000, refunded: 0 });

  // The ops manager approves it in the inbox.
  const ops = await browser.newContext({ baseURL: process.env.E2E_BASE_URL });
  const inbox = await ops.newPage();
  await signIn(inbox, 'ops_manager');
  await inbox.goto('/workflows/tasks');
  await inbox.getByTestId('task-inbox').locator('tr', { hasText: order.number }).getByRole('button', { name: 'Approve' }).click();
  await expect(inbox.getByTestId('task-decided')).toBeVisible();
  await ops.close();

  // The run refunds once, replies, tags and solves: the agent's page follows live.
  await expect(page.getByTestId('ticket-status').first()).toHaveText('已解决', { timeout: 20_000 });
  expect(await paid(request, order.id)).toEqual({ captured: 25_000, refunded: 25_000 });
  await expect(page.getByTestId('message').filter({ hasText: '我们已为您退款' })).toBeVisible();

  // The customer receives the reply in Chinese, threaded into their conversation.
  await expect.poll(async () => (await mailTo(email)).filter((m) => m.text?.includes('我们已为您退款')).length, { timeout: 15_000 }).toBe(1);
  const replyMail = (await mailTo(email)).find((m) => m.text?.includes('我们已为您退款'))!;
  expect(replyMail.inReplyTo).toBe(firstId);
  expect(replyMail.subject).toContain(number);
  expect(replyMail.text).toContain('您好');
  const replyTo = replyMail.replyTo!.value[0].address!;
  expect(replyTo).toMatch(/^support\+[0-9a-f]{32}@lumen\.example$/);

  // The customer answers; it lands on the same ticket, live, and opens it again.
  await transport.sendMail({
    from: email,
    to: replyTo,
    subject: `Re: ${replyMail.subject}`,
    text: '收到退款了，谢谢！',
    inReplyTo: replyMail.messageId,
    references: [firstId, replyMail.messageId!],
  });
  await expect(page.getByTestId('message').filter({ hasText: '收到退款了' })).toBeVisible({ timeout: 5000 });
  await expect(page.getByTestId('ticket-status').first()).toHaveText('处理中');

  // The agent solves it; the customer rates the help on the page the mail links to.
  await page.getByTestId('field-status').selectOption('solved');
  await page.getByTestId('save-fields').click();
  await expect(page.getByTestId('ticket-status').first()).toHaveText('已解决');
  await expect.poll(async () => (await mailTo(email)).filter((m) => /\/csat\/[0-9a-f]{32}/.test(m.text ?? '')).length, { timeout: 15_000 }).toBeGreaterThan(0);
  const csatLink = (await mailTo(email)).map((m) => m.text?.match(/https?:\/\/\S+\/csat\/[0-9a-f]{32}/)?.[0]).find(Boolean)!;
  const customer = await browser.newContext({ baseURL: process.env.E2E_BASE_URL });
  const rate = await customer.newPage();
  await rate.goto(new URL(csatLink).pathname + '?rating=5');
  await rate.getByTestId('csat-confirm').click();
  await expect(rate.getByTestId('csat-thanks')).toBeVisible();
  await customer.close();
  await page.goto(ticketUrl);
  await expect(page.getByTestId('ticket-csat')).toContainText('5/5');
  expect(await paid(request, order.id)).toEqual({ captured: 25_000, refunded: 25_000 });
  transport.close();
});
