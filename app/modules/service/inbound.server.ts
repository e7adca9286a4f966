// Mail into the service desk. Three doors, one path: the embedded SMTP listener (smtp-server, loopback,
// SMTP_INBOUND_PORT), an IMAP mailbox polled in production (imapflow, IMAP_URL), and the HTTP inbound
// endpoint (POST /api/v1/inbound-mail with the raw message). Each hands the raw RFC 5322 message to
// `ingestMail`: parsed by mailparser, kept as text only (HTML is never stored or rendered), attachments
// over the limit listed but not kept, then threaded or opened as a ticket in one transaction.
import type { MikroORM } from '@mikro-orm/postgresql';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Readable } from 'node:stream';
import { isCleanText } from '../../lib/boundary.ts';
import type { Actor } from '../../lib/audit.server.ts';
import { MAX_ATTACHMENT_BYTES, receiveMessage, type IncomingAttachment, type Received } from './tickets.server.ts';
import { tokenOfAddress } from './text.ts';

/** The largest mail taken at all; larger ones are refused with 552 (SMTP) or 413 (HTTP). */
export const MAX_MAIL_BYTES = 25 * 1024 * 1024;

export type IngestResult = (Received & { ok: true }) | { ok: false; reason: 'no_sender' | 'unparseable' | 'loop' };

const MAIL_ACTOR: Actor = { type: 'system', label: 'mail' };

const addresses = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value);
/** Text PostgreSQL can store: NUL and lone surrogates dropped. */
const clean = (s: string) => (isCleanText(s) ? s : s.replace(/\u0000/g, '').toWellFormed());
const idList = (v: string | string[] | undefined) =>
  (Array.isArray(v) ? v : v ? v.split(/\s+/) : []).map((x) => x.trim()).filter((x) => /^<[^<>\s]{1,250}>$/.test(x));

/** What a parsed mail says, in the shape the tickets module takes. */
export function fromParsed(mail: ParsedMail) {
  const from = addresses(mail.from)[0];
  const to = [...addresses(mail.to), ...addresses(mail.cc)].map((a) => a.address ?? '').filter(Boolean);
  const attachments: IncomingAttachment[] = [];
  const dropped: { filename: string; size: number }[] = [];
  for (const a of mail.attachments ?? []) {
    const filename = clean(a.filename ?? 'attachment');
    if (a.size > MAX_ATTACHMENT_BYTES || a.content.length > MAX_ATTACHMENT_BYTES) dropped.push({ filename, size: a.size || a.content.length });
    else attachments.push({ filename, contentType: a.contentType || 'application/octet-stream', content: a.content });
  }
  const messageId = mail.messageId && /^<[^<>\s]{1,250}>$/.test(mail.messageId) ? mail.messageId : null;
  const replyToken = to.map(tokenOfAddress).find((t) => t != null) ?? null;
  return {
    fromEmail: from?.address ? clean(from.address).slice(0, 255) : null,
    fromName: from?.name ? clean(from.name).slice(0, 255) : null,
    to,
    subject: clean(mail.subject ?? ''),
    // Only the text: HTML mail comes as mailparser's text rendering of it, so no markup or script is kept.
    body: clean(mail.text ?? ''),
    messageId,
    inReplyTo: idList(mail.inReplyTo)[0] ?? null,
    references: idList(mail.references),
    replyToken,
    attachments,
    droppedAttachments: dropped,
    autoSubmitted: String(mail.headers.get('auto-submitted') ?? 'no').toLowerCase() !== 'no',
    ours: mail.headers.has('x-order-console-notification'),
  };
}

/** Parses a raw message and files it. Mail with no sender, our own mail coming back, or an unreadable message is dropped with a reason. */
export async function ingestMail(orm: MikroORM, raw: Buffer | Readable): Promise<IngestResult> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { skipImageLinks: true, maxHtmlLengthToParse: 2_000_000 });
  } catch {
    return { ok: false, reason: 'unparseable' };
  }
  const m = fromParsed(mail);
  if (!m.fromEmail) return { ok: false, reason: 'no_sender' };
  // Our own replies (a loop through a forwarding rule) and auto-replies to them never open tickets.
  if (m.ours) return { ok: false, reason: 'loop' };
  const received = await orm.em.fork().transactional((em) =>
    receiveMessage(em, MAIL_ACTOR, {
      channel: 'email',
      source: 'email',
      fromEmail: m.fromEmail,
      fromName: m.fromName,
      to: m.to,
      subject: m.subject,
      body: m.body || m.subject,
      messageId: m.messageId,
      inReplyTo: m.inReplyTo,
      references: m.references,
      replyToken: m.replyToken,
      attachments: m.attachments,
      droppedAttachments: m.droppedAttachments,
      tags: m.autoSubmitted ? ['auto-reply'] : [],
    }),
  );
  return { ok: true, ...received };
}

export interface InboundSmtp {
  port: number;
  stop(): Promise<void>;
}

/**
 * The embedded inbound SMTP listener: any client may deliver (no AUTH on loopback), a mail over
 * MAX_MAIL_BYTES is refused with 552, and each accepted mail is filed before the 250 goes back, so
 * a mail the server acknowledged is on a ticket (a failure answers 451 and the sender retries).
 */
export async function startInboundSmtp(
  orm: MikroORM,
  opts: { port: number; host?: string; log?: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void } },
): Promise<InboundSmtp> {
  const log = opts.log ?? { info: (...a: unknown[]) => console.log('[inbound-mail]', ...a), warn: (...a: unknown[]) => console.warn('[inbound-mail]', ...a) };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MAIL_BYTES,
    rejectOversized: true,
    banner: 'order-console inbound mail',
    maxClients: 50,
    socketTimeout: 30_000,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(c);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error('Message too large: the limit is 25 MB.'), { responseCode: 552 }));
          return;
        }
        ingestMail(orm, Buffer.concat(chunks)).then(
          (r) => callback(null, r.ok ? `Filed on ${r.number}` : `Dropped: ${r.reason}`),
          (e: Error) => {
            log.warn(`filing a mail failed: ${e.message}`);
            callback(Object.assign(new Error('Temporary failure, try again later.'), { responseCode: 451 }));
          },
        );
      });
    },
  });
  server.on('error', (e) => log.warn(`SMTP: ${e.message}`));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  log.info(`inbound mail on smtp://${host}:${port}`);
  return { port, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
