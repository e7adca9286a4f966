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
