// Human tasks (control.human): opened and closed by the worker, decided by people from the console
// inbox or the API. The decision reaches the run as its `decision` signal.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Role } from '../../../entities/constants.ts';
import type { TaskStatus } from '../../../entities/workflows.ts';
import type { NodeActivityInput } from '../../../workflows/graph.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { textArray } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import { publish } from '../../lib/outbox.server.ts';
import { fieldErrors } from '../../lib/problem.ts';
import { signalRun } from './dispatcher.server.ts';
import { entityOf, parseDuration } from './runs.server.ts';

export interface TaskRow {
  id: number;
  key: string;
  workflowId: string;
  nodeId: string;
  title: string;
  roles: Role[];
  status: TaskStatus;
  decidedBy: string | null;
  comment: string | null;
  createdAt: string;
  decidedAt: string | null;
  dueAt: string | null;
  entityType: string | null;
  entityId: string | null;
}

interface RawTask {
  id: number;
  key: string;
  workflow_id: string;
  node_id: string;
  title: string;
  roles: Role[];
  status: TaskStatus;
  decided_by: string | null;
  comment: string | null;
  created_at: Date | string;
  decided_at: Date | string | null;
  due_at: Date | string | null;
  entity_type: string | null;
  entity_id: string | null;
}
const iso = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());
const toTask = (r: RawTask): TaskRow => ({
  id: Number(r.id),
  key: r.key,
  workflowId: r.workflow_id,
  nodeId: r.node_id,
  title: r.title,
  roles: r.roles,
  status: r.status,
  decidedBy: r.decided_by,
  comment: r.comment,
  createdAt: iso(r.created_at)!,
  decidedAt: iso(r.decided_at),
  dueAt: iso(r.due_at),
  entityType: r.entity_type,
  entityId: r.entity_id,
});

/** Opens the task a human node waits on (once per key: a retried activity opens nothing new). */
export async function openTask(em: EntityManager, input: NodeActivityInput): Promise<{ taskId: number; created: boolean }> {
  const title = String(input.config.title ?? input.nodeId).slice(0, 255);
  const roles = Array.isArray(input.config.roles) ? input.config.roles.map(String) : [];
  const timeout = parseDuration(input.config.timeout ?? '2d');
  const entity = entityOf(input.context.trigger.type, input.context.trigger.payload);
  const [row] = await em.execute<{ id: number }[]>(
    `insert into human_task (key, workflow_id, node_id, title, roles, status, created_at, due_at, entity_type, entity_id)
     values (?, ?, ?, ?, ?::text[], 'open', now(), ?, ?, ?) on conflict (key) do nothing returning id`,
    [
      input.key,
      input.workflowId,
      input.nodeId,
      title,
      textArray(roles),
      timeout ? new Date(Date.now() + timeout) : null,
      entity?.type ?? null,
      entity?.id ?? null,
    ],
  );
  if (!row) {
    const [existing] = await em.execute<{ id: number }[]>('select id from human_task where key = ?', [input.key]);
    return { taskId: Number(existing.id), created: false };
  }
  publish(em, 'workflows', 'task.opened', { taskId: Number(row.id), workflowId: input.workflowId, nodeId: input.nodeId, title, roles });
  return { taskId: Number(row.id), created: true };
}

/** Closes it with the run's outcome (approved, rejected or timeout); a decision already recorded stays as it is. */
export async function closeTask(em: EntityManager, input: NodeActivityInput): Promise<{ closed: boolean }> {
  const decision = String(input.config.decision ?? 'timeout');
  const status: TaskStatus = decision === 'approved' ? 'approved' : decision === 'rejected' ? 'rejected' : 'timed_out';
  const rows = await em.execute<{ id: number }[]>(
    `update human_task set status = ?, decided_by = coalesce(decided_by, ?), comment = coalesce(comment, ?), decided_at = coalesce(decided_at, now())
      where key = ? and status = 'open' returning id`,
    [status, input.config.by == null ? null : String(input.config.by), input.config.comment == null ? null : String(input.config.comment), input.key],
  );
  for (const r of rows) publish(em, 'workflows', 'task.closed', { taskId: Number(r.id), workflowId: input.workflowId, nodeId: input.nodeId, status });
  return { closed: rows.length > 0 };
}

/** Open tasks the role may decide, oldest first. */
export async function listOpenTasks(em: EntityManager, role: Role, limit = 200): Promise<TaskRow[]> {
  const rows = await em.execute<RawTask[]>(`select * from human_task where status = 'open' and ? = any(roles) order by created_at, id limit ?`, [role, limit]);
  return rows.map(toTask);
}

export async function getTask(em: EntityManager, id: number): Promise<TaskRow | null> {
  const [row] = await em.execute<RawTask[]>('select * from human_task where id = ?', [id]);
  return row ? toTask(row) : null;
}

const DecisionInput = z.object({
  decision: z.enum(['approved', 'rejected']),
  comment: z
    .string()
    .trim()
    .max(2000)
    .optional()
    .transform((v) => v || undefined),
});

/**
 * Records a person's decision and signals the run. Only the task's roles may decide; a task decides
 * once. The row stays locked while the signal goes out, so the worker's closeTask waits for it; if
 * Temporal cannot take the signal nothing is written. A run that no longer exists withdraws the task.
 */
export async function decideTask(
  orm: MikroORM,
  temporal: () => Promise<Client>,
  taskId: number,
  raw: unknown,
  who: { role: Role; actor: Actor },
): Promise<TaskRow> {
  const parsed = DecisionInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const { decision, comment } = parsed.data;
  const by = who.actor.label ?? String(who.actor.id ?? who.actor.type);
  const outcome = await orm.em.fork().transactional(async (em) => {
    const [task] = await em.execute<RawTask[]>('select * from human_task where id = ? for update', [taskId]);
    if (!task) throw new DomainError(404, 'not_found', `No task ${taskId}.`);
    if (!task.roles.includes(who.role))
      throw new DomainError(403, 'forbidden', `Only ${task.roles.join(', ')} may decide this task.`, { params: { roles: task.roles.join(', ') } });
    if (task.status !== 'open') throw new DomainError(409, 'task_closed', `Task ${taskId} is already ${task.status}.`, { params: { status: task.status } });
    let delivered: boolean;
    try {
      delivered = await signalRun(await temporal(), task.workflow_id, 'decision', { nodeId: task.node_id, decision, comment, by });
    } catch (e) {
      throw new DomainError(503, 'temporal_unavailable', `The workflow engine cannot take the decision now (${(e as Error).message}); try again.`);
    }
    if (!delivered) {
      await em.execute(`update human_task set status = 'cancelled', decided_at = now() where id = ?`, [taskId]);
      publish(em, 'workflows', 'task.closed', { taskId, workflowId: task.workflow_id, nodeId: task.node_id, status: 'cancelled' });
      return { gone: true as const, task };
    }
    const [updated] = await em.execute<RawTask[]>(
      `update human_task set status = ?, decided_by = ?, comment = ?, decided_at = now() where id = ? returning *`,
      [decision, by, comment ?? null, taskId],
    );
    audit(em, who.actor, {
      action: 'workflow.task_decided',
      entityType: 'HumanTask',
      entityId: taskId,
      before: { status: 'open' },
      after: { status: decision, comment: comment ?? null, workflowId: task.workflow_id, nodeId: task.node_id },
    });
    publish(em, 'workflows', 'task.closed', { taskId, workflowId: task.workflow_id, nodeId: task.node_id, status: decision, by });
    return { gone: false as const, task: updated };
  });
  if (outcome.gone) throw new DomainError(409, 'task_closed', `The run ${outcome.task.workflow_id} is no longer running.`, { params: { status: 'cancelled' } });
  return toTask(outcome.task);
}
