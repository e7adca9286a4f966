// The queue's views and sorts: shared by the server (queries.server.ts) and the queue page.
export const QUEUE_VIEWS = ['mine', 'unassigned', 'team', 'due_soon', 'breached', 'waiting', 'all'] as const;
export type QueueView = (typeof QUEUE_VIEWS)[number];
export const QUEUE_SORTS = ['updated', 'created', 'due', 'priority'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];

/** Filters on the state of a ticket, its SLA, and which of its dates a from–to range reads (the analytics drill-downs). */
export const QUEUE_STATES = ['open', 'resolved'] as const;
export const QUEUE_SLA = ['at_risk', 'missed_first_response', 'missed_resolution'] as const;
export const QUEUE_DATES = ['created', 'responded', 'resolved'] as const;

/** The order a view shows unless another is chosen: the SLA views most urgent first, the others latest change first. */
export const defaultSort = (view: QueueView): QueueSort => (view === 'due_soon' || view === 'breached' ? 'due' : 'updated');

/** The desk's settings screens (admins and ops managers: `service.settings`), each with the locale namespace of its title. */
export const DESK_SETTINGS = [
  ['teams', 'sla'],
  ['agents', 'sla'],
  ['sla', 'sla'],
  ['calendars', 'sla'],
  ['canned-responses', 'macros'],
  ['macros', 'macros'],
  ['approval-limits', 'macros'],
] as const;
