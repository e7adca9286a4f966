import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';

const node = (type: string, config: z.ZodType, outputs: string[], activity: string, compensation?: string, requiredOutputs = ['ok']) =>
  defineNode({ type, category: 'orders', labelKey: `nodes.${type}.label`, descriptionKey: `nodes.${type}.description`, config, outputs, requiredOutputs, run: { kind: 'activity', activity, compensation } });

/** Order steps. Each activity is idempotent by its key; the ones that change the world name their undo. */
export const orders: Plugin = {
  id: 'orders',
  nodes: [
    node('orders.validate', z.object({}), ['ok', 'hold'], 'orders.validate', undefined, ['ok', 'hold']),
    node('orders.hold', z.object({ reason: z.string().max(200).default('workflow') }), ['ok'], 'orders.hold'),
    node('orders.reserve', z.object({}), ['ok', 'insufficient'], 'orders.reserve', 'orders.release', ['ok', 'insufficient']),
    node('orders.route', z.object({}), ['ok'], 'orders.route'),
    node('payments.authorise', z.object({}), ['ok', 'declined'], 'payments.authorise', 'payments.void', ['ok', 'declined']),
    node('payments.capture', z.object({ amount: z.string().max(500).optional() }), ['ok', 'failed'], 'payments.capture', 'payments.refund'),
    node('fulfilment.pickList', z.object({ method: z.enum(['single', 'batch', 'zone', 'wave']).default('single') }), ['ok'], 'fulfilment.pickList', 'fulfilment.cancelPickList'),
    node('fulfilment.ship', z.object({ carrier: z.string().max(40).optional() }), ['ok'], 'fulfilment.ship'),
    node('orders.cancel', z.object({ reason: z.string().max(200).default('workflow') }), ['ok'], 'orders.cancel'),
  ],
};
