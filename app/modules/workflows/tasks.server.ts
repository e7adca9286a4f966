// Human tasks (control.human): opened and closed by the worker, decided by people from the console
// inbox or the API. The decision reaches the run as its `decision` signal.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Role } from '../../../entities/constants.ts';
import type { TaskStatus } from '../../../entities/workflows.ts';
import type { NodeActivityInput } from '../../../workflows/graph.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import { publish } from '../../lib/outbox.server.ts';
import { fieldErrors } from '../../lib/problem.ts';
import { DecisionInput } from './task-schemas.ts';
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
  /** Role names (text[]). */
  roles: string[];
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
  roles: r.roles as Role[],
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
  const row = await db(em)
    .insertInto('human_task')
    .values({
      key: input.key,
      workflow_id: input.workflowId,
      node_id: input.nodeId,
      title,
      roles,
      status: 'open',
      created_at: sql`now()`,
      due_at: timeout ? new Date(Date.now() + timeout) : null,
      entity_type: entity?.type ?? null,
      entity_id: entity?.id ?? null,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) {
    const existing = await db(em).selectFrom('human_task').select('id').where('key', '=', input.key).executeTakeFirstOrThrow();
    return { taskId: Number(existing.id), created: false };
  }
  publish(em, 'workflows', 'task.opened', { taskId: Number(row.id), workflowId: input.workflowId, nodeId: input.nodeId, title, roles });
  return { taskId: Number(row.id), created: true };
}

/** Closes it with the run's outcome (approved, rejected or timeout); a decision already recorded stays as it is. */
export async function closeTask(em: EntityManager, input: NodeActivityInput): Promise<{ closed: boolean }> {
  const decision = String(input.config.decision ?? 'timeout');
  const status: TaskStatus = decision === 'approved' ? 'approved' : decision === 'rejected' ? 'rejected' : 'timed_out';
  const by = input.config.by == null ? null : String(input.config.by);
  const comment = input.config.comment == null ? null : String(input.config.comment);
  const rows = await db(em)
    .updateTable('human_task')
    .set((eb) => ({
      status,
      decided_by: eb.fn.coalesce('decided_by', eb.val(by)),
      comment: eb.fn.coalesce('comment', eb.val(comment)),
      decided_at: eb.fn.coalesce('decided_at', sql<Date>`now()`),
    }))
    .where('key', '=', input.key)
    .where('status', '=', 'open')
    .returning('id')
    .execute();
  for (const r of rows) publish(em, 'workflows', 'task.closed', { taskId: Number(r.id), workflowId: input.workflowId, nodeId: input.nodeId, status });
  return { closed: rows.length > 0 };
}

/** Open tasks the role may decide, oldest first. */
export async function listOpenTasks(em: EntityManager, role: Role, limit = 200): Promise<TaskRow[]> {
  const rows = await db(em)
    .selectFrom('human_task')
    .selectAll()
    .where('status', '=', 'open')
    .where(sql<boolean>`${role} = any(roles)`)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toTask);
}

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
    const task = await db(em).selectFrom('human_task').selectAll().where('id', '=', taskId).forUpdate().executeTakeFirst();
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
      await db(em)
        .updateTable('human_task')
        .set({ status: 'cancelled', decided_at: sql`now()` })
        .where('id', '=', taskId)
        .execute();
      publish(em, 'workflows', 'task.closed', { taskId, workflowId: task.workflow_id, nodeId: task.node_id, status: 'cancelled' });
      return { gone: true as const, task };
    }
    const updated = await db(em)
      .updateTable('human_task')
      .set({ status: decision, decided_by: by, comment: comment ?? null, decided_at: sql`now()` })
      .where('id', '=', taskId)
      .returningAll()
      .executeTakeFirstOrThrow();
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
