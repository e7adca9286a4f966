import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';

const node = (type: string, config: z.ZodType, outputs: string[], compensation?: string) =>
  defineNode({
    type,
    category: 'inventory',
    labelKey: `nodes.${type}.label`,
    descriptionKey: `nodes.${type}.description`,
    config,
    outputs,
    requiredOutputs: outputs.slice(0, 1),
    run: { kind: 'activity', activity: type, compensation },
  });

/** Replenishment: check stock, draft a purchase order from reorder point and sales velocity, approve, send, receive. */
export const inventory: Plugin = {
  id: 'inventory',
  nodes: [
    node('inventory.checkAtp', z.object({}), ['low', 'ok']),
    node(
      'inventory.draftPo',
      z.object({ velocityDays: z.number().int().min(7).max(365).default(30), coverDays: z.number().int().min(1).max(365).default(30) }),
      ['ok'],
      'inventory.cancelPo',
    ),
    node('inventory.approvePo', z.object({}), ['ok']),
    node('inventory.sendPo', z.object({}), ['ok']),
    node('inventory.receivePo', z.object({}), ['ok']),
  ],
};
