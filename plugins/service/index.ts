import { z } from 'zod';
import { defineNode, type Plugin } from '../types.ts';
import { TICKET_PRIORITIES } from '../../entities/constants.ts';

/** The end of a macro run an ops manager was asked to approve (the built-in approval flow, app/modules/service/approval-flow.ts); the run is named by the trigger's macroRunId. */
const macroEnd = (type: string) =>
  defineNode({
    type,
    category: 'service',
    labelKey: `nodes.${type}.label`,
    descriptionKey: `nodes.${type}.description`,
    config: z.object({}),
    outputs: ['ok'],
    requiredOutputs: [],
    run: { kind: 'activity', activity: type },
  });

export const service: Plugin = {
  id: 'service',
  nodes: [
    macroEnd('service.macroApproved'),
    macroEnd('service.macroRejected'),
    defineNode({
      type: 'service.openTicket',
      category: 'service',
      labelKey: 'nodes.service.openTicket.label',
      descriptionKey: 'nodes.service.openTicket.description',
      // Opens a ticket about the run's order for the desk (a delivery exception, a rejected return), once per run and step.
      config: z.object({
        subject: z.string().trim().min(1).max(200),
        note: z.string().trim().max(2000).default(''),
        priority: z.enum(TICKET_PRIORITIES).default('normal'),
        tags: z.array(z.string().trim().toLowerCase().min(1).max(40)).max(10).default([]),
      }),
      outputs: ['ok'],
      requiredOutputs: [],
      run: { kind: 'activity', activity: 'service.openTicket', local: true },
    }),
    defineNode({
      type: 'service.waitOnOrder',
      category: 'service',
      labelKey: 'nodes.service.waitOnOrder.label',
      descriptionKey: 'nodes.service.waitOnOrder.description',
      // A flow that knows its order keeps a ticket waiting (a return in transit, a carrier delay) stops the
      // SLA clocks of the order's open tickets, and starts them again when it is over.
      config: z.object({ mode: z.enum(['pause', 'resume']) }),
      outputs: ['ok'],
      requiredOutputs: [],
      run: { kind: 'activity', activity: 'service.waitOnOrder' },
    }),
  ],
};
