import { ApiKey, Session, User } from './identity.ts';
import { AuditEvent, OutboxEvent } from './events.ts';
import { Channel, ExchangeRate, InventoryLevel, Product, StockMovement, Warehouse } from './catalog.ts';
import { Customer } from './customers.ts';
import { IdempotencyRecord, Order, OrderLine, OrderTemplate, Reservation } from './orders.ts';
import { Payment, PaymentOperation } from './payments.ts';
import { Lease, RateLimit, StoreProfile, WorkerHeartbeat } from './system.ts';
import { Carrier, PickList, PickListLine, Shipment, ShipmentEvent } from './fulfilment.ts';
import { Notification } from './notifications.ts';
import { ReturnRequest } from './returns.ts';
import { PurchaseOrder, PurchaseOrderLine, Supplier, SupplierProduct } from './purchasing.ts';
import {
  AnalyticsDirtyMinute,
  CohortFrequency,
  CohortMonth,
  CustomerCohort,
  CustomerMonth,
  DashboardLayout,
  FulfilDay,
  FulfilHour,
  FulfilMinute,
  FulfilMonth,
  MarginDay,
  OpsDirtyMinute,
  OpsFacetDay,
  OpsFacetHour,
  OpsFacetMinute,
  OpsFacetMonth,
  OpsFacetDayTotal,
  OpsFacetMonthTotal,
  OrderMargin,
  ProductDay,
  ProductDayTotal,
  ProductHour,
  SalesDay,
  SalesHour,
  SalesMinute,
  ServiceAgentDay,
  ServiceDay,
  ServiceDayTag,
  ServiceDayTagTotal,
  ServiceDirtyMinute,
  StockDay,
  WorkflowDay,
  WorkflowDirtyMinute,
  WorkflowStepDay,
} from './analytics.ts';
import {
  ApprovalLimit,
  AgentProfile,
  BusinessCalendar,
  CannedResponse,
  CsatResponse,
  Macro,
  MacroRun,
  SlaPolicy,
  Team,
  Ticket,
  TicketAttachment,
  TicketMessage,
  TicketPresence,
  TicketSlaEvent,
} from './service.ts';
import { WebhookAllowedHost, WebhookAttempt, WebhookCursor, WebhookDelivery, WebhookEndpoint } from './webhooks.ts';
import { DesignerPresence, HumanTask, WorkflowBinding, WorkflowDefinition, WorkflowRun, WorkflowRunStep, WorkflowVersion } from './workflows.ts';

export * from './identity.ts';
export * from './events.ts';
export * from './catalog.ts';
export * from './customers.ts';
export * from './orders.ts';
export * from './payments.ts';
export * from './system.ts';
export * from './fulfilment.ts';
export * from './notifications.ts';
export * from './returns.ts';
export * from './purchasing.ts';
export * from './workflows.ts';
export * from './analytics.ts';
export * from './service.ts';
export * from './webhooks.ts';

/**
 * The rollups of the fulfilment, returns and payment-method reports, and of the products, margin and cohort reports:
 * read and written by plain SQL only (app/modules/analytics/ops-rollups.server.ts, product-, margin- and
 * cohort-rollups.server.ts), so left out of typed SQL's schema type (DB in
 * app/lib/db.server.ts), whose inference gives up on this many wide tables.
 */
export const reportRollupEntities = [
  FulfilMinute,
  FulfilHour,
  FulfilDay,
  FulfilMonth,
  OpsFacetMinute,
  OpsFacetHour,
  OpsFacetDay,
  OpsFacetMonth,
  OpsFacetDayTotal,
  OpsFacetMonthTotal,
  OpsDirtyMinute,
  ProductHour,
  ProductDay,
  ProductDayTotal,
  StockDay,
  OrderMargin,
  MarginDay,
  CustomerMonth,
  CustomerCohort,
  CohortMonth,
  CohortFrequency,
];

/** The entities typed SQL knows (see reportRollupEntities). */
export const typedEntities = [
  User,
  Session,
  ApiKey,
  AuditEvent,
  OutboxEvent,
  Channel,
  Warehouse,
  Product,
  InventoryLevel,
  ExchangeRate,
  Customer,
  Order,
  OrderLine,
  WorkerHeartbeat,
  Lease,
  RateLimit,
  StoreProfile,
  Reservation,
  IdempotencyRecord,
  StockMovement,
  Payment,
  PaymentOperation,
  OrderTemplate,
  Carrier,
  PickList,
  PickListLine,
  Shipment,
  ShipmentEvent,
  Notification,
  ReturnRequest,
  Supplier,
  SupplierProduct,
  PurchaseOrder,
  PurchaseOrderLine,
  WorkflowDefinition,
  WorkflowVersion,
  WorkflowBinding,
  WorkflowRun,
  WorkflowRunStep,
  HumanTask,
  DesignerPresence,
  SalesHour,
  SalesMinute,
  SalesDay,
  AnalyticsDirtyMinute,
  DashboardLayout,
  ServiceDay,
  ServiceAgentDay,
  ServiceDayTag,
  ServiceDayTagTotal,
  ServiceDirtyMinute,
  WorkflowDay,
  WorkflowStepDay,
  WorkflowDirtyMinute,
  BusinessCalendar,
  Team,
  AgentProfile,
  SlaPolicy,
  Ticket,
  TicketMessage,
  TicketAttachment,
  TicketSlaEvent,
  CannedResponse,
  Macro,
  MacroRun,
  ApprovalLimit,
  CsatResponse,
  TicketPresence,
  WebhookEndpoint,
  WebhookDelivery,
  WebhookAttempt,
  WebhookAllowedHost,
  WebhookCursor,
];

export const entities = [...typedEntities, ...reportRollupEntities];
