import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Each worker process refreshes its row every few seconds; /healthz reads the freshest one. */
export const WorkerHeartbeat = defineEntity({
  name: 'WorkerHeartbeat',
  properties: {
    id: p.string().primary(),
    taskQueue: p.string(),
    startedAt: p.datetime(),
    seenAt: p.datetime().index(),
  },
});
export type IWorkerHeartbeat = InferEntity<typeof WorkerHeartbeat>;

/**
 * A lease one process holds for a while to be the only one doing something (`name`): the outbox
 * dispatcher takes `outbox` so that an order's start precedes its signals, and renews it as it goes.
 * A holder that dies loses it when it expires; no database lock is held meanwhile.
 */
export const Lease = defineEntity({
  name: 'Lease',
  properties: {
    name: p.string().primary(),
    holder: p.string(),
    expiresAt: p.datetime(),
  },
});
export type ILease = InferEntity<typeof Lease>;

/**
 * Request counters of the API rate limit (rate-limiter-flexible's Postgres store: one row per API key and
 * window), shared by every web node. UNLOGGED (see its migration): counters need no crash safety.
 */
export const RateLimit = defineEntity({
  name: 'RateLimit',
  tableName: 'rate_limit',
  properties: {
    key: p.string().primary(),
    points: p.integer().default(0),
    expire: p.bigint('number').nullable(),
  },
});
export type IRateLimit = InferEntity<typeof RateLimit>;

/**
 * The shop as its customers know it (Settings → Store): its name and logo on the public tracking page, the
 * CSAT page and in customer mail, and where its product pages are (links in the recommendations mail).
 * One row (id 1); empty fields fall back to STORE_NAME / STORE_PRODUCT_URL.
 */
export const StoreProfile = defineEntity({
  name: 'StoreProfile',
  tableName: 'store_profile',
  properties: {
    id: p.integer().primary().autoincrement(false),
    name: p.string().length(200).nullable(),
    logoUrl: p.string().length(500).nullable(),
    /** A product's page, `{sku}` replaced by its SKU. */
    productUrl: p.string().length(500).nullable(),
    updatedAt: p.datetime(),
  },
});
export type IStoreProfile = InferEntity<typeof StoreProfile>;
