// Idempotency-Key with Stripe's semantics: the same key and body replay the first response; the
// same key with a different body is refused. Records are scoped to the caller (API key or user).
import crypto from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepare, sql } from './db.server.ts';

export interface IdempotencyContext { scope: string; key: string; hash: string }
export interface StoredResponse { status: number; body: unknown }

const canonical = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;

/** Hash of what was asked: method, path and the body with its keys in a stable order. */
export function requestHash(method: string, path: string, body: unknown): string {
  return crypto.createHash('sha256').update(`${method} ${path}\n${JSON.stringify(canonical(body))}`).digest('hex');
}

const FIND = prepare('idempotency_find', 'select request_hash, status, body from idempotency_record where scope = $1 and key = $2');
const CLAIM = prepare('idempotency_claim', `insert into idempotency_record (scope, key, request_hash, status, body, created_at) values ($1, $2, $3, 0, 'null', now())
  on conflict (scope, key) do nothing returning id`);
const COMPLETE = prepare('idempotency_complete', 'update idempotency_record set status = $3, body = $4 where scope = $1 and key = $2');

export async function findStored(em: EntityManager, ctx: IdempotencyContext): Promise<StoredResponse | 'reused' | null> {
  const [row] = await sql<{ request_hash: string; status: number; body: unknown }>(em, FIND, [ctx.scope, ctx.key]);
  if (!row) return null;
  if (row.request_hash !== ctx.hash) return 'reused';
  return { status: row.status, body: row.body };
}

/**
 * Claims the key inside the caller's transaction. A concurrent request with the same key waits on
 * the unique index until this transaction ends, then finds the stored response instead.
 */
export async function claim(em: EntityManager, ctx: IdempotencyContext): Promise<boolean> {
  const rows = await sql(em, CLAIM, [ctx.scope, ctx.key, ctx.hash]);
  return rows.length > 0;
}

export async function complete(em: EntityManager, ctx: IdempotencyContext, response: StoredResponse): Promise<void> {
  await sql(em, COMPLETE, [ctx.scope, ctx.key, response.status, JSON.stringify(response.body)]);
}

/** Stores a refusal that happened after the request began executing (e.g. out of stock), outside the rolled-back transaction. */
export async function storeOutcome(em: EntityManager, ctx: IdempotencyContext, response: StoredResponse): Promise<void> {
  await em.execute(
    `insert into idempotency_record (scope, key, request_hash, status, body, created_at) values (?, ?, ?, ?, ?, now()) on conflict (scope, key) do nothing`,
    [ctx.scope, ctx.key, ctx.hash, response.status, JSON.stringify(response.body)]);
}
