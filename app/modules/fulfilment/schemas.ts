// A carrier's tracking update at the door (POST /api/v1/shipments/:id/events). Plain code: the route's
// OpenAPI description imports it too.
import { z } from 'zod';
import { SHIPMENT_STATUSES } from '../../../entities/fulfilment.ts';
import { DateTimeText } from '../../lib/boundary.ts';

export const TrackingEventInput = z.object({
  status: z.enum(SHIPMENT_STATUSES),
  occurredAt: DateTimeText.optional(),
  description: z.string().trim().max(300).optional(),
  location: z.string().trim().max(120).optional(),
});
