// The service desk's SLA step: a flow that knows a ticket waits on its order (a return in transit, a
// carrier delay) stops the clocks of the order's open tickets, and starts them again when it is over.
import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';

export const serviceSla: Plugin = {
  id: 'service-sla',
  nodes: [
    defineNode({
      type: 'service.waitOnOrder',
      category: 'service',
      labelKey: 'nodes.service.waitOnOrder.label',
      descriptionKey: 'nodes.service.waitOnOrder.description',
      config: z.object({ mode: z.enum(['pause', 'resume']) }),
      outputs: ['ok'],
      requiredOutputs: [],
      run: { kind: 'activity', activity: 'service.waitOnOrder' },
    }),
  ],
};
