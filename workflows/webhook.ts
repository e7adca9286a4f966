// One webhook delivery, durably: attempts until the endpoint answers 2xx, sleeping with exponential
// back-off between them (retryBaseMs doubled each time, at most retryMaxMs), and gives up once the
// next attempt would fall past horizonMs (three days) from the start. Deterministic: the time is the
// workflow's own clock, and every attempt's I/O (sign, send, record) is the `webhooks.attempt` activity.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { AttemptOutcome, DeliveryWorkflowInput } from '../app/modules/webhooks/deliveries.server.ts';

// An attempt's own failures (database down, worker crash) are retried by Temporal; the endpoint's are
// answered by the activity and retried here on the delivery's schedule.
const acts = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function webhookDelivery(input: DeliveryWorkflowInput): Promise<AttemptOutcome> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const outcome = await acts['webhooks.attempt']({ deliveryId: input.deliveryId, attempt });
    if (outcome !== 'retry') return outcome;
    const wait = Math.min(input.retryMaxMs, input.retryBaseMs * 2 ** Math.min(attempt - 1, 30));
    if (Date.now() + wait - started > input.horizonMs) {
      await acts['webhooks.giveUp']({ deliveryId: input.deliveryId });
      return 'failed';
    }
    await sleep(wait);
  }
}
