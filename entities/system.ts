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
