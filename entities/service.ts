import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Customer } from './customers.ts';
import { User } from './identity.ts';
import { Order } from './orders.ts';
import { TICKET_CHANNELS, TICKET_MESSAGE_KINDS, TICKET_PRIORITIES, TICKET_STATUSES, SLA_TARGETS } from './constants.ts';

export { TICKET_CHANNELS, TICKET_MESSAGE_KINDS, TICKET_PRIORITIES, TICKET_STATUSES, SLA_TARGETS } from './constants.ts';
export type { TicketChannel, TicketMessageKind, TicketPriority, TicketStatus, SlaTarget } from './constants.ts';

/** Opening hours of a team: weekly hours in its time zone, less its holidays. */
export const BusinessCalendar = defineEntity({
  name: 'BusinessCalendar',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
    /** IANA time zone (Asia/Shanghai). */
    timeZone: p.string(),
    /** Opening hours by ISO weekday (1 Monday … 7 Sunday), minutes from midnight: [{ day, from, to }]. */
    hours: p.json<{ day: number; from: number; to: number }[]>(),
    /** Closed days, YYYY-MM-DD in the calendar's time zone. */
    holidays: p.json<string[]>().default([]),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type IBusinessCalendar = InferEntity<typeof BusinessCalendar>;

/** A group of agents sharing a queue, a calendar and a lead (who hears of breaches). */
export const Team = defineEntity({
  name: 'Team',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
    calendar: () => p.manyToOne(BusinessCalendar).nullable().deleteRule('set null'),
    lead: () => p.manyToOne(User).nullable().deleteRule('set null'),
    /** The team's inbound address (support@, vip@…): mail to it lands in this team's queue. */
    email: p.string().nullable().unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type ITeam = InferEntity<typeof Team>;

/** An agent as the desk sees them: team, languages they answer in, how many open tickets they can hold. */
export const AgentProfile = defineEntity({
  name: 'AgentProfile',
  properties: {
    user: () => p.manyToOne(User).primary().deleteRule('cascade'),
    team: () => p.manyToOne(Team).nullable().deleteRule('set null').index(),
    /** Languages the agent answers in (LOCALES). */
    skills: p.array().default([]),
    capacity: p.integer().default(10),
    /** Takes new tickets now (false: away; their waiting tickets are offered to others). */
    available: p.boolean().default(true),
    /** Round-robin: the agent given a ticket longest ago is next. */
    lastAssignedAt: p.datetime().nullable(),
  },
});
export type IAgentProfile = InferEntity<typeof AgentProfile>;

/**
 * Response and resolution targets in business minutes. The most specific active policy matching a
 * ticket's priority, channel and customer tier applies (null matches anything).
 */
export const SlaPolicy = defineEntity({
  name: 'SlaPolicy',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
    priority: p.enum(TICKET_PRIORITIES).nullable(),
    channel: p.enum(TICKET_CHANNELS).nullable(),
    tier: p.string().nullable(),
    firstResponseMinutes: p.integer(),
    nextResponseMinutes: p.integer(),
    resolutionMinutes: p.integer(),
    /** Warn this many business minutes before a target is breached. */
    warnBeforeMinutes: p.integer().default(30),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type ISlaPolicy = InferEntity<typeof SlaPolicy>;

/** One SLA target's clock (app/modules/service/sla.server.ts keeps it; the SLA watcher fires from it). */
export interface SlaTargetClock {
  /** Business milliseconds used before `since`. */
  usedMs: number;
  /** When the running stretch began (ISO); null while the clock stands still. */
  since: string | null;
  /** When the target is breached (ISO): the running due time, or an overdue breach not yet fired. */
  dueAt: string | null;
  /** When its warning is due (ISO), while not yet fired. */
  warnAt: string | null;
  warned: boolean;
  breached: boolean;
  /** The target no longer runs (answered, solved) but a breach that fell due before is still to be fired. */
  done?: boolean;
}

/** What the SLA clock of a ticket holds, per target: when it is due, or (paused) how much business time is left. */
export interface SlaClock {
  /** Business milliseconds left per running target when the clock was paused. */
  remainingMs?: Partial<Record<'first_response' | 'next_response' | 'resolution', number>>;
  targets?: Partial<Record<'first_response' | 'next_response' | 'resolution', SlaTargetClock>>;
  /** Paused while it waits on the order (a return in transit, a carrier delay): why and since when. */
  orderPause?: { reason: string; at: string } | null;
}

/** A customer's question: one conversation, its state, who works it, and its SLA clock. */
export const Ticket = defineEntity({
  name: 'Ticket',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** TK-000123, from ticket_number_seq. */
    number: p.string().unique().defaultRaw(`('TK-'::text || to_char(nextval('ticket_number_seq'::regclass), 'FM999999999000000'::text))`),
    subject: p.string(),
    status: p.enum(TICKET_STATUSES).default('new'),
    priority: p.enum(TICKET_PRIORITIES).default('normal'),
    channel: p.enum(TICKET_CHANNELS),
    language: p.string().default('en'),
    requesterEmail: p.string().nullable(),
    requesterName: p.string().nullable(),
    customer: () => p.manyToOne(Customer).nullable().deleteRule('set null').index(),
    order: () => p.manyToOne(Order).nullable().deleteRule('set null').index(),
    /** How the customer and order were matched ({ customer: 'email', order: 'number', text: 'SO-001234' }), or who set them. */
    match: p.json<Record<string, unknown>>().nullable(),
    team: () => p.manyToOne(Team).nullable().deleteRule('set null'),
    assignee: () => p.manyToOne(User).nullable().deleteRule('set null'),
    tags: p.array().default([]),
    /** Secret in reply addresses (support+<token>@) and the CSAT link. */
    token: p.string().length(32).unique(),
    mergedInto: () => p.manyToOne(Ticket).nullable().deleteRule('set null'),
    slaPolicy: () => p.manyToOne(SlaPolicy).nullable().deleteRule('set null'),
    firstResponseDueAt: p.datetime().nullable(),
    nextResponseDueAt: p.datetime().nullable(),
    resolutionDueAt: p.datetime().nullable(),
    /** Why the clock stands still: 'customer' (pending customer), 'on_hold', 'order' (a return in transit, a carrier delay). */
    slaPausedFor: p.string().nullable(),
    slaPausedAt: p.datetime().nullable(),
    slaClock: p.json<SlaClock>().nullable(),
    /** The earliest due SLA warning or breach not yet fired (what the SLA watcher scans). */
    slaNextCheckAt: p.datetime().nullable(),
    firstRespondedAt: p.datetime().nullable(),
    lastCustomerMessageAt: p.datetime().nullable(),
    lastAgentReplyAt: p.datetime().nullable(),
    messageCount: p.integer().default(0),
    /** Subject and messages, CJK split into bigrams, for full-text search (to_tsvector('simple')). */
    searchText: p.text().default(''),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    solvedAt: p.datetime().nullable(),
    closedAt: p.datetime().nullable(),
  },
  indexes: [
    { properties: ['status', 'updatedAt', 'id'], name: 'ticket_status_updated_index' },
    { properties: ['assignee', 'status'], name: 'ticket_assignee_status_index' },
    { properties: ['team', 'status'], name: 'ticket_team_status_index' },
    { name: 'ticket_updated_id_index', expression: 'create index "ticket_updated_id_index" on "ticket" ("updated_at" desc, "id" desc)' },
    {
      name: 'ticket_sla_next_check_index',
      expression: 'create index "ticket_sla_next_check_index" on "ticket" ("sla_next_check_at") where "sla_next_check_at" is not null',
    },
    {
      // The SLA views (due soon, breached) and the "SLA due first" sort of open tickets: the earliest running target.
      name: 'ticket_open_due_index',
      expression: `create index "ticket_open_due_index" on "ticket" ((coalesce(least("first_response_due_at", "next_response_due_at", "resolution_due_at"), 'infinity'::timestamptz)), "id") where "status" in ('new', 'open', 'pending', 'on_hold')`,
    },
    // The service rollup reads a day's tickets by when they were created, first answered and resolved.
    { properties: ['createdAt', 'id'], name: 'ticket_created_index' },
    {
      name: 'ticket_first_responded_index',
      expression: 'create index "ticket_first_responded_index" on "ticket" ("first_responded_at") where "first_responded_at" is not null',
    },
    {
      name: 'ticket_resolved_index',
      expression: `create index "ticket_resolved_index" on "ticket" ((coalesce("solved_at", "closed_at"))) where "status" in ('solved', 'closed')`,
    },
    {
      name: 'ticket_search_index',
      expression: `create index "ticket_search_index" on "ticket" using gin (to_tsvector('simple'::regconfig, "search_text"))`,
    },
  ],
  // Mark the minutes a change touches for the service rollups' refresher (migration
  // Migration20261207100000_service_rollups holds the functions): once per statement, with the statement's rows.
  triggers: [
    {
      name: 'ticket_service_dirty_insert',
      timing: 'after',
      events: ['insert'],
      forEach: 'statement',
      expression:
        'create trigger "ticket_service_dirty_insert" after insert on "ticket" referencing new table as new_rows for each statement execute function "service_ticket_mark_dirty_fn"()',
    },
    {
      name: 'ticket_service_dirty_update',
      timing: 'after',
      events: ['update'],
      forEach: 'statement',
      expression:
        'create trigger "ticket_service_dirty_update" after update on "ticket" referencing old table as old_rows new table as new_rows for each statement execute function "service_ticket_mark_dirty_fn"()',
    },
    {
      name: 'ticket_service_dirty_delete',
      timing: 'after',
      events: ['delete'],
      forEach: 'statement',
      expression:
        'create trigger "ticket_service_dirty_delete" after delete on "ticket" referencing old table as old_rows for each statement execute function "service_ticket_mark_dirty_fn"()',
    },
  ],
});
export type ITicket = InferEntity<typeof Ticket>;

/** One message on a ticket: the customer's mail, an agent's reply, or an internal note. */
export const TicketMessage = defineEntity({
  name: 'TicketMessage',
  properties: {
    id: p.integer().primary().autoincrement(),
    ticket: () => p.manyToOne(Ticket).deleteRule('cascade'),
    kind: p.enum(TICKET_MESSAGE_KINDS),
    author: () => p.manyToOne(User).nullable().deleteRule('set null'),
    fromEmail: p.string().nullable(),
    fromName: p.string().nullable(),
    subject: p.string().nullable(),
    /** Plain text; HTML mail is kept only as text (never rendered as HTML in the console). */
    body: p.text(),
    /** The mail's Message-ID (<…>): the same mail delivered twice is one message. */
    messageId: p.string().nullable().unique(),
    inReplyTo: p.string().nullable(),
    /** Where it came from: email, api, tracking_page, console, flow. */
    source: p.string(),
    /** Users an internal note @mentions. */
    mentions: p.array().default([]),
    /** The reply's outgoing mail (notification row). */
    notificationId: p.integer().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ properties: ['ticket', 'id'], name: 'ticket_message_ticket_id_index' }],
});
export type ITicketMessage = InferEntity<typeof TicketMessage>;

/** A file that came with a message: kept in the database up to a size limit and only ever served as a download. */
export const TicketAttachment = defineEntity({
  name: 'TicketAttachment',
  properties: {
    id: p.integer().primary().autoincrement(),
    message: () => p.manyToOne(TicketMessage).deleteRule('cascade').index(),
    filename: p.string(),
    contentType: p.string(),
    size: p.integer(),
    sha256: p.string().length(64),
    content: p.blob(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type ITicketAttachment = InferEntity<typeof TicketAttachment>;

/** A fired SLA warning or breach: one per ticket, target, kind and due time, so a restart never fires one twice. */
export const TicketSlaEvent = defineEntity({
  name: 'TicketSlaEvent',
  properties: {
    id: p.integer().primary().autoincrement(),
    ticket: () => p.manyToOne(Ticket).deleteRule('cascade'),
    target: p.enum(SLA_TARGETS),
    kind: p.enum(['warning', 'breach'] as const),
    dueAt: p.datetime(),
    firedAt: p.datetime().onCreate(() => new Date()),
  },
  uniques: [{ properties: ['ticket', 'target', 'kind', 'dueAt'], name: 'ticket_sla_event_unique' }],
  // A fired breach marks the days the ticket's SLA figures count on (migration Migration20261207100000_service_rollups).
  triggers: [
    {
      name: 'ticket_sla_event_dirty_insert',
      timing: 'after',
      events: ['insert'],
      forEach: 'statement',
      expression:
        'create trigger "ticket_sla_event_dirty_insert" after insert on "ticket_sla_event" referencing new table as new_rows for each statement execute function "ticket_sla_event_mark_dirty_fn"()',
    },
  ],
});
export type ITicketSlaEvent = InferEntity<typeof TicketSlaEvent>;

/** A reply an agent picks, per language, rendered with liquid variables ({{ customer.name }}, {{ order.number }}…). */
export const CannedResponse = defineEntity({
  name: 'CannedResponse',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
    /** Body per locale: { en, 'zh-CN', 'zh-TW' }. */
    bodies: p.json<Record<string, string>>(),
    tags: p.array().default([]),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type ICannedResponse = InferEntity<typeof CannedResponse>;

/** A named sequence of actions on the ticket and its order, with the inputs it asks the agent for. */
export const Macro = defineEntity({
  name: 'Macro',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
    /** Inputs the agent fills in ({ key, type: line | quantity | amount | text | reason }). */
    inputs: p.json<Record<string, unknown>[]>().default([]),
    /** Actions in order ({ type: 'refund' | 'reply' | 'tag' | 'set_status' | …, … }). */
    actions: p.json<Record<string, unknown>[]>(),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type IMacro = InferEntity<typeof Macro>;

/** One run of a macro on a ticket, keyed by the form that asked for it: a double click or a retry runs it once. */
export const MacroRun = defineEntity({
  name: 'MacroRun',
  properties: {
    id: p.integer().primary().autoincrement(),
    key: p.string().unique(),
    ticket: () => p.manyToOne(Ticket).deleteRule('cascade').index(),
    macro: () => p.manyToOne(Macro).nullable().deleteRule('set null'),
    actor: () => p.manyToOne(User).nullable().deleteRule('set null'),
    inputs: p.json<Record<string, unknown>>(),
    /** done, awaiting_approval, rejected, failed */
    status: p.string(),
    result: p.json<Record<string, unknown>>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type IMacroRun = InferEntity<typeof MacroRun>;

/** How much a role may refund on its own, in base currency minor units, per ticket and per day. */
export const ApprovalLimit = defineEntity({
  name: 'ApprovalLimit',
  properties: {
    role: p.string().primary(),
    perTicketMinor: p.bigint('number'),
    perDayMinor: p.bigint('number'),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type IApprovalLimit = InferEntity<typeof ApprovalLimit>;

/** The customer's rating of a solved ticket (one per ticket; rating again replaces it). */
export const CsatResponse = defineEntity({
  name: 'CsatResponse',
  properties: {
    ticket: () => p.manyToOne(Ticket).primary().deleteRule('cascade'),
    rating: p.integer(),
    comment: p.text().nullable(),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .index('csat_response_created_at_index'),
  },
  // A rating marks the day it counts on (migration Migration20261207100000_service_rollups).
  triggers: [
    {
      name: 'csat_response_dirty_insert',
      timing: 'after',
      events: ['insert'],
      forEach: 'statement',
      expression:
        'create trigger "csat_response_dirty_insert" after insert on "csat_response" referencing new table as new_rows for each statement execute function "csat_response_mark_dirty_fn"()',
    },
    {
      name: 'csat_response_dirty_update',
      timing: 'after',
      events: ['update'],
      forEach: 'statement',
      expression:
        'create trigger "csat_response_dirty_update" after update on "csat_response" referencing old table as old_rows new table as new_rows for each statement execute function "csat_response_mark_dirty_fn"()',
    },
    {
      name: 'csat_response_dirty_delete',
      timing: 'after',
      events: ['delete'],
      forEach: 'statement',
      expression:
        'create trigger "csat_response_dirty_delete" after delete on "csat_response" referencing old table as old_rows for each statement execute function "csat_response_mark_dirty_fn"()',
    },
  ],
});
export type ICsatResponse = InferEntity<typeof CsatResponse>;

/** Who has a ticket open, and whether they are typing (one row per browser socket; see presence.server.ts). */
export const TicketPresence = defineEntity({
  name: 'TicketPresence',
  properties: {
    id: p.integer().primary().autoincrement(),
    ticket: () => p.manyToOne(Ticket).deleteRule('cascade').index(),
    socketId: p.string(),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    userName: p.string(),
    typing: p.boolean().default(false),
    node: p.string().index(),
    joinedAt: p.datetime(),
    seenAt: p.datetime().index(),
  },
  uniques: [{ properties: ['socketId', 'ticket'], name: 'ticket_presence_socket_ticket_unique' }],
});
export type ITicketPresence = InferEntity<typeof TicketPresence>;
