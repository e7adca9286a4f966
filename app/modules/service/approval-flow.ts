// The built-in flow that asks an ops manager to approve a macro's refund over an agent's limits:
//   trigger (manual) → human task (ops managers, admins) → approved: service.macroApproved (the held
//   actions run, the refund first) / rejected or timed out: service.macroRejected (an internal note).
// Started by the dispatcher from the outbox event `macro.approval_requested`, once per macro run
// (workflow id macro-approval-<run id>); the task shows in the console's task inbox.
import type { Graph } from '../../../workflows/graph.ts';

export const MACRO_APPROVAL_EVENT = 'macro.approval_requested';
/** Roles that decide (the human step's roles). */
export const APPROVER_ROLES = ['ops_manager', 'admin'] as const;

const node = (id: string, type: string, config: Record<string, unknown>, y: number, x = 0) => ({ id, type, position: { x, y }, data: { config } });
const edge = (source: string, handle: string, target: string) => ({ id: `${source}.${handle}->${target}`, source, sourceHandle: handle, target });

/** The approval graph for one run; `title` is what the task inbox shows. */
export function macroApprovalGraph(title: string): Graph {
  return {
    nodes: [
      node('trigger', 'control.trigger', { event: 'manual' }, 0),
      node('approve', 'control.human', { title: title.slice(0, 200), roles: [...APPROVER_ROLES], timeout: '2d' }, 120),
      node('run', 'service.macroApproved', {}, 240, -160),
      node('reject', 'service.macroRejected', {}, 240, 0),
      node('expired', 'service.macroRejected', {}, 240, 160),
    ],
    edges: [
      edge('trigger', 'out', 'approve'),
      edge('approve', 'approved', 'run'),
      edge('approve', 'rejected', 'reject'),
      edge('approve', 'timeout', 'expired'),
    ],
  };
}

/** The task's title from the event's payload: what, how much, on which ticket and order, asked by whom. */
export function approvalTitle(p: Record<string, unknown>): string {
  const s = (k: string) => (typeof p[k] === 'string' || typeof p[k] === 'number' ? String(p[k]) : '');
  return `Refund ${s('amount')} ${s('currency')} · ${s('ticketNumber')} / ${s('orderNumber')} · ${s('macro')} · ${s('agent')}`;
}
