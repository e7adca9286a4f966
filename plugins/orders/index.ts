import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';
import { PICK_STEP_METHODS, WAREHOUSE_DEFAULT_PICK } from '../../entities/constants.ts';

interface Options {
  compensation?: string;
  requiredOutputs?: string[];
  local?: boolean;
}

const node = (type: string, config: z.ZodType, outputs: string[], activity: string, { compensation, requiredOutputs = ['ok'], local }: Options = {}) =>
  defineNode({
    type,
    category: 'orders',
    labelKey: `nodes.${type}.label`,
    descriptionKey: `nodes.${type}.description`,
    config,
    outputs,
    requiredOutputs,
    run: { kind: 'activity', activity, compensation, ...(local ? { local } : {}) },
  });

/**
 * Order steps. Each activity is idempotent by its key; the ones that change the world name their undo.
 * Steps that only touch our database run as local activities; payments (the provider), shipping (the
 * carrier) and cancelling (which may void or refund at the provider) stay ordinary activities.
 */
export const orders: Plugin = {
  id: 'orders',
  nodes: [
    node('orders.validate', z.object({}), ['ok', 'hold'], 'orders.validate', { requiredOutputs: ['ok', 'hold'], local: true }),
    node('orders.hold', z.object({ reason: z.string().max(200).default('workflow') }), ['ok'], 'orders.hold', { local: true }),
    node('orders.reserve', z.object({}), ['ok', 'insufficient'], 'orders.reserve', {
      compensation: 'orders.release',
      requiredOutputs: ['ok', 'insufficient'],
      local: true,
    }),
    node('orders.route', z.object({}), ['ok'], 'orders.route', { local: true }),
    node('payments.authorise', z.object({}), ['ok', 'declined'], 'payments.authorise', { compensation: 'payments.void', requiredOutputs: ['ok', 'declined'] }),
    node('payments.capture', z.object({ amount: z.string().max(500).optional() }), ['ok', 'failed'], 'payments.capture', { compensation: 'payments.refund' }),
    // By default each warehouse's own method; published plans carry the method they were published with.
    node('fulfilment.pickList', z.object({ method: z.enum(PICK_STEP_METHODS).default(WAREHOUSE_DEFAULT_PICK) }), ['ok'], 'fulfilment.pickList', {
      compensation: 'fulfilment.cancelPickList',
      local: true,
    }),
    node('fulfilment.ship', z.object({ carrier: z.string().max(40).optional() }), ['ok'], 'fulfilment.ship'),
    node('orders.cancel', z.object({ reason: z.string().max(200).default('workflow') }), ['ok'], 'orders.cancel'),
  ],
};
