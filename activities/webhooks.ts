// The webhook delivery workflow's activities: thin adapters over app/modules/webhooks.
import type { MikroORM } from '@mikro-orm/postgresql';
import { attemptDelivery, deliverySettings, giveUpDelivery, type AttemptOutcome } from '../app/modules/webhooks/deliveries.server.ts';

export function webhookActivities({ orm }: { orm: MikroORM }) {
  const settings = deliverySettings();
  return {
    /** One signed POST of the delivery, recorded (sent at most once per attempt number). */
    'webhooks.attempt': (input: { deliveryId: number; attempt: number }): Promise<AttemptOutcome> =>
      attemptDelivery(orm, input.deliveryId, input.attempt, settings),
    /** The delivery ran out of time: marked failed. */
    'webhooks.giveUp': (input: { deliveryId: number }): Promise<void> => giveUpDelivery(orm, input.deliveryId),
  };
}
