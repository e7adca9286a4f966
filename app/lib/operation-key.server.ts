import crypto from 'node:crypto';
import { problem } from './problem.ts';
import type { Principal } from './auth.server.ts';

/**
 * The idempotency key of a money-moving API call: the client's Idempotency-Key scoped to the
 * caller, or a fresh one (then a retry is a new call). Workflow activities pass their own keys.
 */
export function operationKey(request: Request, principal: Principal): string {
  const key = request.headers.get('Idempotency-Key');
  if (key === null) return `once:${crypto.randomUUID()}`;
  if (!/^[\x21-\x7e]{1,255}$/.test(key))
    throw problem(400, 'invalid_idempotency_key', { field: 'Idempotency-Key', detail: 'Use 1–255 visible ASCII characters.' });
  return `${principal.kind}:${principal.actor.id}:${key}`;
}
