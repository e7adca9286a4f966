// Activities: the I/O side of workflows. Each factory closes over the process's ORM so activity
// functions stay plain async functions that Temporal can retry.
import type { MikroORM } from '@mikro-orm/postgresql';
import { systemActivities } from './system.ts';

export function createActivities(deps: { orm: MikroORM }) {
  return {
    ...systemActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
