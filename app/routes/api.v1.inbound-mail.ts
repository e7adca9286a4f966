import type { ActionFunctionArgs } from '@remix-run/node';
import { requireApi } from '../lib/auth.server.ts';
import { api, json, methodNotAllowed } from '../lib/api.server.ts';
import { problem } from '../lib/problem.ts';
import { ingestMail, MAX_MAIL_BYTES } from '../modules/service/inbound.server.ts';
import { z } from 'zod';
import type { ApiOperation } from '../lib/openapi/describe.ts';
import { EXAMPLES } from '../lib/openapi/examples.ts';
import { MailFiledResource } from '../modules/service/resources.ts';

/**
 * POST /api/v1/inbound-mail: a raw RFC 5322 message (Content-Type message/rfc822), as a mail provider's
 * inbound webhook delivers it. Filed exactly as mail over SMTP: threaded, de-duplicated by Message-ID.
 */
export const action = ({ request, context }: ActionFunctionArgs) =>
  api(async () => {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    await requireApi(request, context, 'service.manage');
    const type = request.headers.get('Content-Type') ?? '';
    if (!/^(message\/rfc822|text\/plain|application\/octet-stream)\b/i.test(type))
      return problem(415, 'unsupported_media_type', { detail: 'Send the raw message as message/rfc822.' });
    const raw = Buffer.from(await request.arrayBuffer());
    if (raw.length > MAX_MAIL_BYTES) return problem(413, 'too_large', { detail: 'The message is over 25 MB.' });
    if (!raw.length) return problem(400, 'empty', { field: 'body', detail: 'The message is empty.' });
    const r = await ingestMail(context.orm, raw);
    if (!r.ok) return problem(422, `mail_${r.reason}`, { detail: `The mail was not filed: ${r.reason}.` });
    return json({ ticketId: r.ticketId, number: r.number, messageId: r.messageId, created: r.created, duplicate: r.duplicate }, r.created ? 201 : 200);
  });

export const openapi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/inbound-mail',
    operationId: 'fileInboundMail',
    summary: 'File an inbound mail',
    description:
      'A raw RFC 5322 message, as a mail provider’s inbound webhook delivers it (up to 25 MB). Filed exactly as mail over SMTP: threaded onto its ticket or opening one, de-duplicated by Message-ID.',
    tags: ['Service'],
    auth: 'apiKey',
    permission: 'service.manage',
    body: { schema: z.string(), contentType: 'message/rfc822', examples: { mail: { summary: 'A customer’s mail', value: EXAMPLES.mail } } },
    responses: {
      201: { description: 'The mail opened a ticket.', schema: MailFiledResource },
      200: { description: 'The mail joined an existing ticket, or was filed before (`duplicate`).', schema: MailFiledResource },
    },
    problems: {
      400: ['empty'],
      405: ['method_not_allowed'],
      413: ['too_large'],
      415: ['unsupported_media_type'],
      422: ['mail_no_sender', 'mail_unparseable', 'mail_loop'],
    },
    idempotent: false,
  },
];
