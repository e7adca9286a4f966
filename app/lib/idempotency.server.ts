// Idempotency-Key with Stripe's semantics: the same key and body replay the first response; the
// same key with a different body is refused. Records are scoped to the caller (API key or user).
import crypto from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import { db, jsonb, prepare, sql } from './db.server.ts';

export interface IdempotencyContext {
  scope: string;
  key: string;
  hash: string;
}
export interface StoredResponse {
  status: number;
  body: unknown;
}

const canonical = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canonical)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : v;

/** Hash of what was asked: method, path and the body with its keys in a stable order. */
export function requestHash(method: string, path: string, body: unknown): string {
  return crypto
    .createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(canonical(body))}`)
    .digest('hex');
}

const FIND = prepare('idempotency_find', 'select request_hash, status, body from idempotency_record where scope = $1 and key = $2');
const COMPLETE = prepare('idempotency_complete', 'update idempotency_record set status = $3, body = $4 where scope = $1 and key = $2');

export async function findStored(em: EntityManager, ctx: IdempotencyContext): Promise<StoredResponse | 'reused' | null> {
  const [row] = await sql<{ request_hash: string; status: number; body: unknown }>(em, FIND, [ctx.scope, ctx.key]);
  if (!row) return null;
  if (row.request_hash !== ctx.hash) return 'reused';
  return { status: row.status, body: row.body };
}

export async function complete(em: EntityManager, ctx: IdempotencyContext, response: StoredResponse): Promise<void> {
  await sql(em, COMPLETE, [ctx.scope, ctx.key, response.status, JSON.stringify(response.body)]);
}

/** Stores a refusal that happened after the request began executing (e.g. out of stock), outside the rolled-back transaction. */
export async function storeOutcome(em: EntityManager, ctx: IdempotencyContext, response: StoredResponse): Promise<void> {
  await db(em)
    .insertInto('idempotency_record')
    .values({ scope: ctx.scope, key: ctx.key, request_hash: ctx.hash, status: response.status, body: jsonb(response.body), created_at: ksql`now()` })
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
    .execute();
}

// ---- The same, for a batch of requests sharing one transaction (order intake's group commit) ----

const idOf = (ctx: IdempotencyContext) => `${ctx.scope}\n${ctx.key}`;
const CLAIM_MANY = prepare(
  'idempotency_claim_many',
  `insert into idempotency_record (scope, key, request_hash, status, body, created_at)
  select t.scope, t.key, t.hash, 0, 'null', now() from unnest($1::text[], $2::text[], $3::text[]) as t(scope, key, hash)
  on conflict (scope, key) do nothing returning scope, key`,
);
const COMPLETE_MANY = prepare(
  'idempotency_complete_many',
  `update idempotency_record r set status = t.status, body = t.body::jsonb
  from unnest($1::text[], $2::text[], $3::int[], $4::text[]) as t(scope, key, status, body) where r.scope = t.scope and r.key = t.key`,
);
const RELEASE_MANY = prepare(
  'idempotency_release_many',
  `delete from idempotency_record r using unnest($1::text[], $2::text[]) as t(scope, key)
  where r.scope = t.scope and r.key = t.key and r.status = 0`,
);

/** `claim` for several distinct keys: returns the ones claimed (`scope\nkey`); the others were answered before. */
export async function claimMany(em: EntityManager, ctxs: readonly IdempotencyContext[]): Promise<Set<string>> {
  if (!ctxs.length) return new Set();
  const rows = await sql<{ scope: string; key: string }>(em, CLAIM_MANY, [ctxs.map((c) => c.scope), ctxs.map((c) => c.key), ctxs.map((c) => c.hash)]);
  return new Set(rows.map((r) => `${r.scope}\n${r.key}`));
}

export const claimedBy = (claimed: Set<string>, ctx: IdempotencyContext) => claimed.has(idOf(ctx));

/** `complete` for several claimed keys. */
export async function completeMany(em: EntityManager, done: readonly { ctx: IdempotencyContext; response: StoredResponse }[]): Promise<void> {
  if (!done.length) return;
  await sql(em, COMPLETE_MANY, [
    done.map((d) => d.ctx.scope),
    done.map((d) => d.ctx.key),
    done.map((d) => d.response.status),
    done.map((d) => JSON.stringify(d.response.body)),
  ]);
}

/** Gives claimed keys back (the request was refused before it did anything worth replaying). */
export async function releaseMany(em: EntityManager, ctxs: readonly IdempotencyContext[]): Promise<void> {
  if (!ctxs.length) return;
  await sql(em, RELEASE_MANY, [ctxs.map((c) => c.scope), ctxs.map((c) => c.key)]);
}

// ---- One request in its own transaction ----

/**
 * Runs `work` once per Idempotency-Key: in one transaction the key is claimed, the work done and its
 * answer stored, so a retry (or a concurrent duplicate, which waits on the claim) replays that answer;
 * the same key with another body is refused (`reused`). Without a context the work simply runs.
 */
export async function runIdempotent(
  orm: { em: { fork(): EntityManager } },
  ctx: IdempotencyContext | undefined,
  work: (em: EntityManager) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed?: boolean; reused?: boolean }> {
  if (!ctx) return orm.em.fork().transactional(work);
  const stored = await findStored(orm.em.fork(), ctx);
  if (stored === 'reused') return { status: 422, body: null, reused: true };
  if (stored && stored.status > 0) return { ...stored, replayed: true };
  return orm.em.fork().transactional(async (em) => {
    const claimed = await claimMany(em, [ctx]);
    if (!claimedBy(claimed, ctx)) {
      // Another request with this key committed first (we waited on its row): answer what it stored.
      const again = await findStored(em, ctx);
      if (again === 'reused') return { status: 422, body: null, reused: true };
      return { ...(again ?? { status: 409, body: null }), replayed: true };
    }
    const answer = await work(em);
    await complete(em, ctx, answer);
    return answer;
  });
}
