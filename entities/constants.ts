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

/** Customer emails (the notifications.email node offers these). */
export const NOTIFICATION_TEMPLATES = ['order_confirmation', 'order_shipped', 'order_delivered'] as const;
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

// ---- Analytics ----

/** The stages an order's processing time is measured over: received → shipped, shipped → delivered, received → delivered. */
export const PROCESSING_STAGES = ['ship', 'transit', 'total'] as const;
/**
 * Edges (hours) of the processing-time histogram buckets the fulfilment rollups keep: bucket 0 is [0, 1),
 * bucket k is [edge k-1, edge k), the last is [720, ∞). Changing them needs a migration of the rollup
 * columns (one per stage and bucket) and `npm run analytics:rebuild`.
 */
export const PROCESSING_BOUNDS_HOURS = [1, 2, 4, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720] as const;
