// The order status state machine: the one place that says which status may follow which.
import type { OrderStatus } from '../../../entities/constants.ts';

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  received: ['validated', 'on_hold', 'cancelled'],
  validated: ['on_hold', 'awaiting_payment', 'cancelled'],
  on_hold: ['validated', 'awaiting_payment', 'cancelled'],
  awaiting_payment: ['paid', 'on_hold', 'cancelled'],
  paid: ['allocated', 'backordered', 'on_hold', 'cancelled'],
  backordered: ['allocated', 'cancelled'],
  allocated: ['picking', 'cancelled'],
  picking: ['packed', 'allocated', 'cancelled'],
  packed: ['shipped', 'picking'],
  shipped: ['delivered', 'returned', 'partially_returned'],
  delivered: ['completed', 'returned', 'partially_returned'],
  completed: ['returned', 'partially_returned'],
  partially_returned: ['returned', 'completed'],
  returned: [],
  cancelled: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses in which the order still holds stock and may be cancelled with its reservations released. */
export const CANCELLABLE: readonly OrderStatus[] = (Object.keys(TRANSITIONS) as OrderStatus[]).filter((s) => TRANSITIONS[s].includes('cancelled'));

export const TERMINAL: readonly OrderStatus[] = (Object.keys(TRANSITIONS) as OrderStatus[]).filter((s) => TRANSITIONS[s].length === 0);
