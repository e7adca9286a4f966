import { ApiKey, Session, User } from './identity.ts';
import { AuditEvent, OutboxEvent } from './events.ts';
import { Channel, ExchangeRate, InventoryLevel, Product, Warehouse } from './catalog.ts';
import { Customer } from './customers.ts';
import { Order, OrderLine } from './orders.ts';
import { WorkerHeartbeat } from './system.ts';

export * from './identity.ts';
export * from './events.ts';
export * from './catalog.ts';
export * from './customers.ts';
export * from './orders.ts';
export * from './system.ts';

export const entities = [
  User, Session, ApiKey, AuditEvent, OutboxEvent,
  Channel, Warehouse, Product, InventoryLevel, ExchangeRate, Customer, Order, OrderLine, WorkerHeartbeat,
];
