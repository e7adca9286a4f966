// A person's decision on a human task at the door (POST /api/v1/workflows/tasks/:id/decision). Plain
// code: the route's OpenAPI description imports it too.
import { z } from 'zod';

export const DecisionInput = z.object({
  decision: z.enum(['approved', 'rejected']),
  comment: z
    .string()
    .trim()
    .max(2000)
    .optional()
    .transform((v) => v || undefined),
});
