// The service desk as an agent works it, in 简体中文: a customer's mail over SMTP becomes a ticket that
// appears in the queue live, tied to the customer and the order it names; the agent answers in the
// customer's language; the reply reaches the customer threaded; the customer's answer lands on the same
// ticket; the agent solves it and the customer is asked for a rating.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { expect, test } from '@playwright/test';
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

test('a customer mails in, the agent answers in Chinese, the reply is threaded and the answer lands on the same ticket', async ({ page, request }) => {
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
      paymentMethod: 'manual',
    },
  });
  expect(res.status(), await res.text()).toBe(201);
  const order = (await res.json()) as { number: string };

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

  // The agent answers; the ticket waits on the customer.
  await page.getByTestId('composer-body').fill('您好，很抱歉杯子破损了，我们会为您退款。');
  await page.getByTestId('send-reply').click();
  await expect(page.getByTestId('message').filter({ hasText: '我们会为您退款' })).toBeVisible();
  await expect(page.getByTestId('ticket-status').first()).toHaveText('等待客户');

  // The customer receives it in Chinese, threaded into their conversation.
  await expect.poll(async () => (await mailTo(email)).filter((m) => m.subject?.includes(subject)).length, { timeout: 15_000 }).toBeGreaterThan(0);
  const replyMail = (await mailTo(email)).find((m) => m.subject?.includes(subject))!;
  expect(replyMail.inReplyTo).toBe(firstId);
  expect(replyMail.text).toContain('您好');
  expect(replyMail.text).toContain('我们会为您退款');
  const replyTo = replyMail.replyTo!.value[0].address!;
  expect(replyTo).toMatch(/^support\+[0-9a-f]{32}@lumen\.example$/);

  // The customer answers; it lands on the same ticket, live.
  await transport.sendMail({
    from: email,
    to: replyTo,
    subject: `Re: ${replyMail.subject}`,
    text: '好的，谢谢！',
    inReplyTo: replyMail.messageId,
    references: [firstId, replyMail.messageId!],
  });
  await expect(page.getByTestId('message').filter({ hasText: '好的，谢谢' })).toBeVisible({ timeout: 5000 });
  await expect(page.getByTestId('ticket-status').first()).toHaveText('处理中');

  // Solved: the customer is asked for a rating.
  await page.getByTestId('field-status').selectOption('solved');
  await page.getByTestId('save-fields').click();
  await expect(page.getByTestId('ticket-status').first()).toHaveText('已解决');
  await expect.poll(async () => (await mailTo(email)).filter((m) => /\/csat\/[0-9a-f]{32}/.test(m.text ?? '')).length, { timeout: 15_000 }).toBe(1);
  transport.close();
});
