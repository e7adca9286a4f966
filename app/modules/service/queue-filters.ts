// The queue's query-string filters (the console's queue page and GET /api/v1/tickets). Plain code: the
// route's OpenAPI description imports it too.
import { z } from 'zod';
import { LOCALES, ORDER_STATUSES, TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from '../../../entities/constants.ts';
import { DateText } from '../../lib/boundary.ts';
import { Id } from '../../lib/ids.ts';
import { QUEUE_DATES, QUEUE_SLA, QUEUE_SORTS, QUEUE_STATES, QUEUE_VIEWS } from './queue.ts';

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
  /** Open (new, open, pending, on hold) or resolved (solved, closed) tickets only. */
  state: one(z.enum(QUEUE_STATES)),
  /** SLA at risk (a running target due within its policy's warning time, or overdue), or a target's breach fired. */
  sla: one(z.enum(QUEUE_SLA)),
  /** Days (YYYY-MM-DD, inclusive, in the business's time zone) in which the tickets were created, first answered or resolved (`dates`, default created). */
  from: one(DateText),
  to: one(DateText),
  dates: one(z.enum(QUEUE_DATES)),
  /** Absent: the view's own order (defaultSort). */
  sort: one(z.enum(QUEUE_SORTS)),
  after: one(z.string().max(200)),
  before: one(z.string().max(200)),
  page: one(z.coerce.number().int().min(1).max(100_000)).default(1),
});
export type QueueFilters = z.infer<typeof QueueFilters>;
