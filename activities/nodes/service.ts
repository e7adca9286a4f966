// The service plugin's activities: a ticket opened by a drawn flow (once per step key), and the SLA
// clocks of the order's open tickets paused or resumed while the order keeps them waiting (pausing or
// resuming twice changes nothing the second time, so a retried step is harmless).
import { ApplicationFailure } from '@temporalio/common';
import { pauseSlaForOrder, resumeSlaForOrder } from '../../app/modules/service/sla.server.ts';
import { TICKET_PRIORITIES, type TicketPriority } from '../../entities/constants.ts';
import { openFlowTicket } from '../../app/modules/service/flow.server.ts';
import { nodeActivity, requireSubject, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

export function serviceNodeActivities({ orm }: NodeDeps) {
  /** Opens a ticket about the run's order, with the flow's note as its first (internal) message. */
  const openTicket: NodeActivity = async (input) => {
    const orderId = requireSubject(input, 'orderId');
    const priority = (TICKET_PRIORITIES as readonly string[]).includes(String(input.config.priority)) ? (input.config.priority as TicketPriority) : 'normal';
    const r = await orm.em.fork().transactional((em) =>
      openFlowTicket(em, workflowActor(input), {
        key: input.key,
        orderId,
        subject: String(input.config.subject ?? input.nodeId),
        note: String(input.config.note ?? ''),
        priority,
        tags: Array.isArray(input.config.tags) ? input.config.tags.map(String) : [],
        workflowId: input.workflowId,
      }),
    );
    return { handle: 'ok', output: { orderId, ticketId: r.ticketId, ticketNumber: r.number, created: r.created } };
  };
  const waitOnOrder: NodeActivity = async (input) => {
    const orderId = requireSubject(input, 'orderId');
    const mode = input.config.mode;
    if (mode !== 'pause' && mode !== 'resume') throw ApplicationFailure.nonRetryable(`Unknown mode ${String(mode)}.`, 'bad_config');
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      const r =
        mode === 'pause'
          ? await pauseSlaForOrder(em, orderId, `workflow ${input.workflowId} (${input.context.trigger.type})`, actor)
          : await resumeSlaForOrder(em, orderId, actor);
      return { handle: 'ok', output: { orderId, mode, ticketIds: r.ticketIds } };
    });
  };
  return { 'service.openTicket': nodeActivity(openTicket), 'service.waitOnOrder': nodeActivity(waitOnOrder) };
}
