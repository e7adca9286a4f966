import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';

const node = (type: string) =>
  defineNode({
    type,
    category: 'orders',
    labelKey: `nodes.${type}.label`,
    descriptionKey: `nodes.${type}.description`,
    config: z.object({}),
    outputs: ['ok'],
    requiredOutputs: [],
    run: { kind: 'activity', activity: type },
  });

/**
 * Service desk steps: the end of a macro run an ops manager was asked to approve (the built-in
 * approval flow, app/modules/service/approval-flow.ts). The run is named by the trigger's macroRunId.
 */
export const service: Plugin = {
  id: 'service',
  nodes: [node('service.macroApproved'), node('service.macroRejected')],
};
