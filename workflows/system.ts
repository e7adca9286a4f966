import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';

const { databaseTime } = proxyActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });

/** End-to-end probe: Temporal schedules it, the worker runs it, an activity reads the database. */
export async function systemCheck(): Promise<{ now: string; database: string }> {
  return databaseTime();
}
