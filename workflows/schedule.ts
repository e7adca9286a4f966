import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';

const { fireBinding: record } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 10 } });

/**
 * What a binding's Temporal Schedule starts on each tick: records the firing (an outbox row, once per
 * firing), and the dispatcher starts the flow's run like any other. Kept this small so that changing a
 * flow never touches its schedule.
 */
export async function fireBinding(input: { bindingId: number }): Promise<{ queued: boolean }> {
  return record({ bindingId: input.bindingId, firing: workflowInfo().workflowId });
}
