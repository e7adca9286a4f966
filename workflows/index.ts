// Every workflow type the worker registers. Workflows are deterministic: no I/O here, only activities.
export { systemCheck } from './system.ts';
export { interpreter } from './interpreter.ts';
export { fireBinding } from './schedule.ts';
export { webhookDelivery } from './webhook.ts';
