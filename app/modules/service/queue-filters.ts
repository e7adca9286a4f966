// The queue's query-string filters (the console's queue page and GET /api/v1/tickets). Plain code: the
// route's OpenAPI description imports it too.
import { z } from 'zod';
import { LOCALES, ORDER_STATUSES, TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from '../../../entities/constants.ts';
import { Id } from '../../lib/ids.ts';
import { QUEUE_SORTS, QUEUE_VIEWS } from './queue.ts';

const one = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === '' ? undefined : v), s.optional());
export const QueueFilters = z.object({
  view: one(z.enum(QUEUE_VIEWS)).default('all'),
  status: one(z.enum(TICKET_STATUSES)),
  priority: one(z.enum(TICKET_PRIORITIES)),
  channel: one(z.enum(TICKET_CHANNELS)),
  language: one(z.enum(LOCALES)),
  team: one(Id),
  assignee: one(Id),
  tag: one(z.string().trim().min(1).max(40)),
  orderStatus: one(z.enum(ORDER_STATUSES)),
  q: one(z.string().trim().min(1).max(200)),
  /** Absent: the view's own order (defaultSort). */
  sort: one(z.enum(QUEUE_SORTS)),
  after: one(z.string().max(200)),
  before: one(z.string().max(200)),
  page: one(z.coerce.number().int().min(1).max(100_000)).default(1),
});
export type QueueFilters = z.infer<typeof QueueFilters>;
