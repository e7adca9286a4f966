// Inbound mail to a ticket visible in the queue: customers' mails sent over SMTP to the real listener
// (smtp-server + mailparser + receiveMessage in one transaction per mail) at a steady rate, each timed
// from the start of its SMTP conversation until the queue's first page (view "all", newest first) shows
// its ticket. Baseline, measured in the same run with the same mails and rate: an SMTP server that only
// parses the mail (no database) — what SMTP and MIME parsing alone cost.
//
// Exported for the `service` bench (bench/service.ts), which owns the database.
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { startInboundSmtp } from '../app/modules/service/inbound.server.ts';
import { listTickets, parseQueueFilters } from '../app/modules/service/queries.server.ts';

export interface MailBenchOptions {
  orm: MikroORM;
  /** Mails a second. */
  rate: number;
  seconds: number;
  log: (line: string) => void;
}

export interface MailFigures {
  label: string;
  mails: number;
  p50: number;
  p95: number;
  max: number;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `count` mails at `rate` a second to `port`; `visible(number)` waits until the mail's ticket shows. Answers each mail's milliseconds. */
async function drive(
  port: number,
  mails: { from: string; subject: string; text: string }[],
  rate: number,
  visible: (response: string) => Promise<void>,
): Promise<number[]> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 8,
    maxMessages: Infinity,
  });
  const t0 = performance.now();
  const timings = await Promise.all(
    mails.map(async (m, i) => {
      const due = t0 + (i * 1000) / rate;
      await sleep(Math.max(0, due - performance.now()));
      const start = performance.now();
      const info = await transport.sendMail({
        ...m,
        to: 'support@bench.example',
        messageId: `<bench-${Date.now()}-${i}-${Math.random().toString(36).slice(2)}@bench.example>`,
      });
      await visible(info.response);
      return performance.now() - start;
    }),
  );
  transport.close();
  return timings;
}

export async function benchInboundMail(opts: MailBenchOptions): Promise<MailFigures[]> {
  const em = opts.orm.em.fork();
  const customers = await em.execute<{ email: string; name: string; number: string }[]>(
    `select c.email, c.name, o.number from sales_order o join customer c on c.id = o.customer_id order by o.id limit 200`,
  );
  const count = Math.round(opts.rate * opts.seconds);
  const mails = Array.from({ length: count }, (_, i) => {
    const c = customers[i % customers.length];
    return i % 2
      ? { from: `${c.name} <${c.email}>`, subject: `Where is my order? #${i}`, text: `Hello, my order ${c.number} has not arrived. Can you check?` }
      : { from: `${c.name} <${c.email}>`, subject: `订单问题 #${i}`, text: `你好，订单 ${c.number} 的杯子碎了，我要退款。` };
  });

  // Baseline: SMTP and MIME parsing only.
  const parseOnly = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _s, callback) {
      simpleParser(stream).then(
        () => callback(),
        (e: Error) => callback(e),
      );
    },
  });
  await new Promise<void>((resolve) => parseOnly.listen(0, '127.0.0.1', () => resolve()));
  opts.log(`baseline: ${count} mails at ${opts.rate}/s to a parse-only SMTP server`);
  const base = await drive((parseOnly.server.address() as AddressInfo).port, mails, opts.rate, async () => {});
  await new Promise<void>((resolve) => parseOnly.close(() => resolve()));

  // The desk: filed, then looked for on the queue's first page.
  const inbound = await startInboundSmtp(opts.orm, { port: 0, log: { info: () => {}, warn: (...a) => opts.log(`warn ${a.join(' ')}`) } });
  opts.log(`desk: ${count} mails at ${opts.rate}/s to the inbound listener, each until its ticket is on the queue's first page`);
  const filters = parseQueueFilters(new URLSearchParams({ view: 'all', sort: 'created' }));
  const desk = await drive(inbound.port, mails, opts.rate, async (response) => {
    const number = /TK-\d+/.exec(response)?.[0];
    if (!number) throw new Error(`the listener did not file the mail: ${response}`);
    for (let tries = 0; tries < 500; tries++) {
      const page = await listTickets(opts.orm.em.fork(), 0, filters);
      if (page.rows.some((r) => r.number === number)) return;
      await sleep(10);
    }
    throw new Error(`${number} never showed in the queue`);
  });
  await inbound.stop();
  const figures = (label: string, xs: number[]): MailFigures => ({ label, mails: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), max: Math.max(...xs) });
  return [figures('baseline: SMTP + parse only', base), figures('desk: mail → ticket on the queue', desk)];
}

export function printMailFigures(rows: MailFigures[], rate: number, print: (line: string) => void): void {
  print(`Inbound mail → ticket visible in the queue, ${rate} mails/s (goal p95 ≤ 1000 ms)`);
  print(`  ${'run'.padEnd(36)} ${'mails'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
  for (const r of rows)
    print(
      `  ${r.label.padEnd(36)} ${String(r.mails).padStart(6)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.max.toFixed(1).padStart(8)}`,
    );
  const [base, desk] = rows;
  if (base && desk) print(`  filing and showing the ticket adds ${(desk.p95 - base.p95).toFixed(1)} ms at p95 over SMTP and parsing alone`);
}
