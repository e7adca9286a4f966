// The service plugin's activities: the end of a macro run that waited for an ops manager's approval.
// Thin adapters to app/modules/service/macros.server.ts (which runs the held actions once, however
// often a step is retried); no SQL here.
import { ApplicationFailure } from '@temporalio/common';
import { rejectMacroRun, resumeMacroRun } from '../../app/modules/service/macros.server.ts';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import { nodeActivity, type NodeDeps } from './shared.ts';

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
  return {
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
