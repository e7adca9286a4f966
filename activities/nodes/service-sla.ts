// The service-sla plugin's activity: pauses or resumes the SLA clocks of the run's order's open
// tickets (app/modules/service/sla.server.ts). Pausing or resuming twice changes nothing the second
// time, so a retried step is harmless.
import { ApplicationFailure } from '@temporalio/common';
import { pauseSlaForOrder, resumeSlaForOrder } from '../../app/modules/service/sla.server.ts';
import { nodeActivity, requireSubject, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

export function serviceSlaNodeActivities({ orm }: NodeDeps) {
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
  const activities = { 'service.waitOnOrder': waitOnOrder };
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, nodeActivity(fn)])) as typeof activities;
}
