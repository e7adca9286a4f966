// Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`
// (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one signature per
// secret that signs, space-separated (after a rotation the old secret signs too for a while). The
// signatures come from the `standardwebhooks` package itself, so they are what its `verify` expects.
import crypto from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new endpoint secret: `whsec_` and 32 random bytes in base64. */
export const newSecret = (): string => `whsec_${crypto.randomBytes(32).toString('base64')}`;

/** The three headers of one attempt, signed with every secret given. */
export function signedHeaders(secrets: readonly string[], id: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' '),
  };
}
