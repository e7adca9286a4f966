// Plain value lists shared by entities, server code and the browser. No ORM imports here:
// the client bundle imports this file.
export const ROLES = ['admin', 'ops_manager', 'agent', 'warehouse', 'executive'] as const;
export type Role = (typeof ROLES)[number];

export const LOCALES = ['en', 'zh-CN', 'zh-TW'] as const;
export type Locale = (typeof LOCALES)[number];

export const ORDER_STATUSES = [
  'received',
  'validated',
  'on_hold',
  'awaiting_payment',
  'paid',
  'allocated',
  'picking',
  'packed',
  'shipped',
  'delivered',
  'completed',
  'cancelled',
  'returned',
  'partially_returned',
  'backordered',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const DELIVERY_METHODS = ['standard', 'express', 'pickup'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

export const CHANNEL_KINDS = ['web', 'app', 'pos', 'marketplace', 'call_centre', 'csv'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const HOLD_REASONS = ['high_value', 'new_customer_express', 'address_without_coordinates', 'manual'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

export const MOVEMENT_KINDS = ['receipt', 'cycle_count', 'damage', 'correction', 'shipment', 'return'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

/** The movements a person records by hand (the others come from shipping and returns). */
export const ADJUSTMENT_KINDS = ['receipt', 'cycle_count', 'damage', 'correction'] as const satisfies readonly MovementKind[];

export const PICK_METHODS = ['single', 'batch', 'zone', 'wave'] as const;
export type PickMethod = (typeof PICK_METHODS)[number];

/**
 * The workflow pick step's methods: each warehouse's own (its pick method and batch size, Settings →
 * Warehouses), or one of the methods for every warehouse.
 */
export const WAREHOUSE_DEFAULT_PICK = 'warehouse_default';
export const PICK_STEP_METHODS = [WAREHOUSE_DEFAULT_PICK, ...PICK_METHODS] as const;

export const SHIPMENT_STATUSES = ['label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export const RETURN_REASONS = ['damaged', 'wrong_item', 'not_as_described', 'no_longer_needed', 'size_or_fit', 'other'] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];

/**
 * Customer emails (the notifications.email node offers these). `recommendations` suggests what customers
 * who bought the same products also bought (product affinity), read when it is sent.
 */
export const NOTIFICATION_TEMPLATES = ['order_confirmation', 'order_shipped', 'order_delivered', 'recommendations'] as const;
export type NotificationTemplate = (typeof NOTIFICATION_TEMPLATES)[number];

/** Every email the notification outbox carries: customer mail, alerts to staff, purchase orders (and their cancellation) to suppliers. */
export const MAIL_TEMPLATES = [...NOTIFICATION_TEMPLATES, 'staff_alert', 'purchase_order', 'purchase_order_cancelled', 'ticket_reply', 'csat_request'] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

// ---- Service desk ----

export const TICKET_STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed', 'merged'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

/** Where a ticket came from. */
export const TICKET_CHANNELS = ['email', 'tracking_page', 'api', 'phone', 'flow'] as const;
export type TicketChannel = (typeof TICKET_CHANNELS)[number];

/** Customer messages, agents' replies (mailed to the customer) and internal notes (never mailed). */
export const TICKET_MESSAGE_KINDS = ['customer', 'reply', 'note'] as const;
export type TicketMessageKind = (typeof TICKET_MESSAGE_KINDS)[number];

export const SLA_TARGETS = ['first_response', 'next_response', 'resolution'] as const;
export type SlaTarget = (typeof SLA_TARGETS)[number];

/**
 * The edges (minutes) of the service rollup's time histograms: bucket 0 is under the first edge, bucket i
 * is [edge i-1, edge i), the last is 30 days and more. About a quarter apart, so a percentile read from the
 * buckets lands within its bucket; the coarse buckets the report draws (15 min, 30 min, 1 h, 2 h, 4 h, 8 h,
 * 1 d, 3 d, 7 d) are edges too.
 */
export const SERVICE_TIME_EDGES_MINUTES = [
  1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 240, 300, 360, 480, 600, 720, 960, 1200, 1440, 1800, 2160, 2880, 3600, 4320,
  5760, 7200, 8640, 10080, 14400, 20160, 30240, 43200,
] as const;
/** Buckets per histogram (one more than the edges). */
export const SERVICE_TIME_BUCKETS = SERVICE_TIME_EDGES_MINUTES.length + 1;

/**
 * The edges (milliseconds) of the workflow step rollup's time histogram: steps take from milliseconds (an
 * activity) to days (a person's decision, a timer), so the buckets run 1–1.5–2–3–5–7 per decade from 10 ms to
 * 30 days; bucket 0 is under 10 ms, the last 30 days and more.
 */
export const STEP_TIME_EDGES_MS = [
  10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1_000, 1_500, 2_000, 3_000, 5_000, 7_000, 10_000, 15_000, 20_000, 30_000, 45_000, 60_000, 90_000,
  120_000, 180_000, 300_000, 420_000, 600_000, 900_000, 1_200_000, 1_800_000, 2_700_000, 3_600_000, 5_400_000, 7_200_000, 10_800_000, 14_400_000, 21_600_000,
  28_800_000, 43_200_000, 57_600_000, 86_400_000, 129_600_000, 172_800_000, 259_200_000, 432_000_000, 604_800_000, 864_000_000, 1_209_600_000, 1_814_400_000,
  2_592_000_000,
] as const;
export const STEP_TIME_BUCKETS = STEP_TIME_EDGES_MS.length + 1;
// ---- Analytics ----

/** The stages an order's processing time is measured over: received → shipped, shipped → delivered, received → delivered. */
export const PROCESSING_STAGES = ['ship', 'transit', 'total'] as const;
/**
 * Edges (hours) of the processing-time histogram buckets the fulfilment rollups keep: bucket 0 is [0, 1),
 * bucket k is [edge k-1, edge k), the last is [720, ∞). Changing them needs a migration of the rollup
 * columns (one per stage and bucket) and `npm run analytics:rebuild`.
 */
export const PROCESSING_BOUNDS_HOURS = [1, 2, 4, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720] as const;
