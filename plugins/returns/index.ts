import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';
import { DEFAULT_PASS_EXPRESSION } from '../../app/modules/returns/inspection.ts';

const node = (type: string, config: z.ZodType, outputs: string[], compensation?: string) =>
  defineNode({
    type,
    category: 'returns',
    labelKey: `nodes.${type}.label`,
    descriptionKey: `nodes.${type}.description`,
    config,
    outputs,
    requiredOutputs: outputs.slice(0, 1),
    run: { kind: 'activity', activity: type, compensation },
  });

/** The RMA lifecycle: request, approve (or reject), receive (or expire), inspect, then restock or dispose, refund or exchange. */
export const returns: Plugin = {
  id: 'returns',
  nodes: [
    node('returns.createRma', z.object({}), ['ok']),
    node('returns.approve', z.object({}), ['ok']),
    node('returns.reject', z.object({}), ['ok']),
    node('returns.expire', z.object({}), ['ok']),
    node('returns.receive', z.object({}), ['ok']),
    node('returns.inspect', z.object({ passExpression: z.string().max(500).default(DEFAULT_PASS_EXPRESSION) }), ['resellable', 'damaged']),
    node('returns.restock', z.object({}), ['ok'], 'returns.unrestock'),
    node('returns.dispose', z.object({}), ['ok']),
    node('returns.refund', z.object({}), ['ok', 'failed']),
    node('returns.exchange', z.object({}), ['ok', 'insufficient'], 'returns.cancelExchange'),
  ],
};
