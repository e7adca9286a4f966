// Activities: the I/O side of workflows. Each factory closes over the process's ORM so activity
// functions stay plain async functions that Temporal can retry.
import type { MikroORM } from '@mikro-orm/postgresql';
import { systemActivities } from './system.ts';
import { workflowActivities } from './workflow.ts';
import { nodeActivities } from './nodes/index.ts';
import { webhookActivities } from './webhooks.ts';

export function createActivities(deps: { orm: MikroORM }) {
  return {
    ...systemActivities(deps),
    ...workflowActivities(deps),
    ...nodeActivities(deps),
    ...webhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
