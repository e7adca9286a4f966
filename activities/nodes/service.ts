// The service plugin's activities: a ticket opened by a drawn flow (once per step key), and the SLA
// clocks of the order's open tickets paused or resumed while the order keeps them waiting (pausing or
// resuming twice changes nothing the second time, so a retried step is harmless).
import { ApplicationFailure } from '@temporalio/common';
import { pauseSlaForOrder, resumeSlaForOrder } from '../../app/modules/service/sla.server.ts';
import { rejectMacroRun, resumeMacroRun } from '../../app/modules/service/macros.server.ts';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import { TICKET_PRIORITIES, type TicketPriority } from '../../entities/constants.ts';
import { openFlowTicket } from '../../app/modules/service/flow.server.ts';
import { nodeActivity, requireSubject, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

/** The run the flow was started for (trigger payload `macroRunId`). */
function runOf(input: NodeActivityInput): number {
  const id = input.context.trigger.payload?.macroRunId;
  if (typeof id === 'number' && Number.isInteger(id) && id > 0) return id;
  throw ApplicationFailure.nonRetryable(`Node ${input.nodeId} needs macroRunId in the trigger payload.`, 'missing_subject');
}

/** The decision the human step recorded (its output: decision, comment, by). */
function decisionOf(input: NodeActivityInput): { decision: string; by: string | null; comment: string | null } {
  for (const out of Object.values(input.context.nodes ?? {})) {
    if (out && typeof out.decision === 'string')
      return { decision: out.decision, by: typeof out.by === 'string' ? out.by : null, comment: typeof out.comment === 'string' ? out.comment : null };
  }
  return { decision: 'timeout', by: null, comment: null };
}

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
  return {
    'service.openTicket': nodeActivity(openTicket),
    'service.waitOnOrder': nodeActivity(waitOnOrder),
    // The end of a macro run that waited for an ops manager's approval (runs the held actions once, however often retried).
    'service.macroApproved': nodeActivity(async (input) => {
      const d = decisionOf(input);
      const run = await resumeMacroRun(orm, runOf(input), d);
      return { handle: 'ok', output: { macroRunId: run.id, status: run.status } };
    }),
    'service.macroRejected': nodeActivity(async (input) => {
      const d = decisionOf(input);
      const run = await rejectMacroRun(orm, runOf(input), { ...d, timedOut: d.decision === 'timeout' });
      return { handle: 'ok', output: { macroRunId: run.id, status: run.status } };
    }),
  };
}
