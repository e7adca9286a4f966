// A tracking update's outcome as the API answers it (POST /api/v1/shipments/:id/events).
import { z } from 'zod';
import { SHIPMENT_STATUSES } from '../../../entities/constants.ts';

export const TrackingResultResource = z.strictObject({
  shipmentId: z.number().int(),
  status: z.enum(SHIPMENT_STATUSES).describe("The shipment's status after the event (an older event never moves it backwards)."),
  duplicate: z.boolean().describe('The same event was recorded before: nothing was written.'),
});
