import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseWebhookJson, verifyWebhookSignature, webhookSignature } from './webhooks.server.ts';

describe('webhook signatures', () => {
  const secret = 'shpss_0123456789abcdef';
  const body = Buffer.from('{"id":1,"note":"café"}', 'utf8');

  it('is base64 HMAC-SHA256 of the raw bytes', () => {
    expect(webhookSignature(secret, body)).toBe(crypto.createHmac('sha256', secret).update(body).digest('base64'));
  });

  it('accepts the right signature only', () => {
    const good = webhookSignature(secret, body);
    expect(verifyWebhookSignature(secret, body, good)).toBe(true);
    expect(verifyWebhookSignature(secret, body, ` ${good} `)).toBe(true);
    expect(verifyWebhookSignature(secret, Buffer.from('{"id":2,"note":"café"}'), good)).toBe(false);
    expect(verifyWebhookSignature('other', body, good)).toBe(false);
    expect(verifyWebhookSignature(secret, body, good.slice(0, -2))).toBe(false); // length differs: no throw
    expect(verifyWebhookSignature(secret, body, Buffer.from(good, 'base64').toString('hex'))).toBe(false);
    expect(verifyWebhookSignature(secret, body, '')).toBe(false);
    expect(verifyWebhookSignature(secret, body, null)).toBe(false);
    expect(verifyWebhookSignature(null, body, good)).toBe(false);
    expect(verifyWebhookSignature('', body, webhookSignature('', body))).toBe(false);
  });
});

describe('parseWebhookJson', () => {
  it('keeps integers beyond 2^53 as their digits and leaves the rest alone', () => {
    expect(parseWebhookJson('{"id":820982911946154508,"n":[9007199254740991,1.5,-3,1e400],"s":"x"}')).toEqual({
      id: '820982911946154508',
      n: [9007199254740991, 1.5, -3, Number.POSITIVE_INFINITY],
      s: 'x',
    });
  });

  it('throws on text that is not JSON', () => {
    expect(() => parseWebhookJson('webhook_id=12')).toThrow(SyntaxError);
  });
});
