import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { Graph, Plan } from '../workflows/graph.ts';
import { User } from './identity.ts';

export const WORKFLOW_KINDS = ['order', 'return', 'reorder', 'other'] as const;
export type WorkflowKind = (typeof WORKFLOW_KINDS)[number];

/** What a binding listens for (the trigger events a flow can start on). */
export const BINDING_EVENTS = [
  'order.created',
  'return.requested',
  'stock.low',
  'schedule',
  'manual',
  'ticket.created',
  'ticket.sla_warning',
  'ticket.sla_breached',
  'ticket.solved',
] as const;
export type BindingEvent = (typeof BINDING_EVENTS)[number];

/** `terminated`: ended from outside the flow (terminated in Temporal's UI or CLI), as the run reconciler found. */
export const RUN_STATUSES = ['running', 'completed', 'failed', 'compensated', 'cancelled', 'terminated'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * `cancelled` / `terminated`: the step was still running or waiting when its run was ended from
 * outside the flow (cancelled, or terminated or timed out in Temporal), as the run reconciler found.
 */
export const STEP_STATUSES = ['waiting', 'running', 'done', 'failed', 'compensated', 'skipped', 'cancelled', 'terminated'] as const;
export type RunStepStatus = (typeof STEP_STATUSES)[number];

/** `cancelled`: the run ended (cancelled or failed) while the task was still open. */
export const TASK_STATUSES = ['open', 'approved', 'rejected', 'timed_out', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A flow's name and description per language. */
export type FlowTranslations = Partial<Record<'en' | 'zh-CN' | 'zh-TW', { name?: string; description?: string }>>;

/** A flow as the designer edits it: a stable key, and the draft graph. Published versions are separate and immutable. */
export const WorkflowDefinition = defineEntity({
  name: 'WorkflowDefinition',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** Slug, unique: sub-flows and seeds refer to a definition by it. */
    key: p.string().unique(),
    name: p.string(),
    description: p.text().nullable(),
    /** The name and description in other languages: { 'zh-CN': { name, description }, 'zh-TW': … }; `name` is the fallback. */
    translations: p.json<FlowTranslations>().defaultRaw(`'{}'`),
    kind: p.enum(WORKFLOW_KINDS).default('other'),
    draft: p.json<Graph>(),
    draftUpdatedAt: p.datetime(),
    draftUpdatedBy: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    versions: () => p.oneToMany(WorkflowVersion).mappedBy('definition'),
  },
});
export type IWorkflowDefinition = InferEntity<typeof WorkflowDefinition>;

/** A published graph and its compiled plan. Never updated: a rollback publishes an old graph as a new version. */
export const WorkflowVersion = defineEntity({
  name: 'WorkflowVersion',
  properties: {
    id: p.integer().primary().autoincrement(),
    definition: () => p.manyToOne(WorkflowDefinition).deleteRule('cascade'),
    number: p.integer(),
    graph: p.json<Graph>(),
    plan: p.json<Plan>(),
    hash: p.string().index(),
    message: p.text().nullable(),
    author: p.string().nullable(),
    publishedAt: p.datetime().onCreate(() => new Date()),
  },
  uniques: [{ properties: ['definition', 'number'], name: 'workflow_version_definition_number_unique' }],
});
export type IWorkflowVersion = InferEntity<typeof WorkflowVersion>;

/** Which definition starts on which event: first active binding by priority (lowest first) whose filter holds. */
export const WorkflowBinding = defineEntity({
  name: 'WorkflowBinding',
  properties: {
    id: p.integer().primary().autoincrement(),
    event: p.enum(BINDING_EVENTS),
    /** JSONata over the event payload; null matches every event. */
    filter: p.text().nullable(),
    priority: p.integer().default(100),
    definition: () => p.manyToOne(WorkflowDefinition).deleteRule('cascade').index(),
    active: p.boolean().default(true),
    cron: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  indexes: [{ properties: ['event', 'priority'], name: 'workflow_binding_event_priority_index' }],
});
export type IWorkflowBinding = InferEntity<typeof WorkflowBinding>;

/** One interpreter run as the console shows it. The version is pinned when the run starts. */
export const WorkflowRun = defineEntity({
  name: 'WorkflowRun',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** Temporal workflow id: order-<id>, return-<id>, reorder-<levelId>-<yyyymmdd>, … */
    workflowId: p.string().unique(),
    definition: () => p.manyToOne(WorkflowDefinition).nullable().deleteRule('set null').index(),
    version: () => p.manyToOne(WorkflowVersion).nullable().deleteRule('set null'),
    triggerType: p.string(),
    triggerPayload: p.json<Record<string, unknown>>(),
    status: p.enum(RUN_STATUSES).default('running').index(),
    startedAt: p
      .datetime()
      .onCreate(() => new Date())
      .index(),
    endedAt: p.datetime().nullable(),
    error: p.text().nullable(),
    /** What the run is about, for links from the entity's page (Order/123). */
    entityType: p.string().nullable(),
    entityId: p.string().nullable(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    steps: () => p.oneToMany(WorkflowRunStep).mappedBy('run'),
  },
  indexes: [
    { properties: ['entityType', 'entityId'], name: 'workflow_run_entity_index' },
    // The dashboard's "runs failed" (the last 24 hours).
    {
      name: 'workflow_run_failed_ended_index',
      expression: `create index "workflow_run_failed_ended_index" on "workflow_run" ((coalesce("ended_at", "updated_at"))) where "status" = 'failed'`,
    },
  ],
  // Mark the minutes the changed runs started in for the workflow rollups' refresher (migration
  // Migration20261207110000_workflow_rollups holds the functions): once per statement, with the statement's rows.
  triggers: [
    {
      name: 'workflow_run_dirty_insert',
      timing: 'after',
      events: ['insert'],
      forEach: 'statement',
      expression:
        'create trigger "workflow_run_dirty_insert" after insert on "workflow_run" referencing new table as new_rows for each statement execute function "workflow_run_mark_dirty_fn"()',
    },
    {
      name: 'workflow_run_dirty_update',
      timing: 'after',
      events: ['update'],
      forEach: 'statement',
      expression:
        'create trigger "workflow_run_dirty_update" after update on "workflow_run" referencing old table as old_rows new table as new_rows for each statement execute function "workflow_run_mark_dirty_fn"()',
    },
  ],
});
export type IWorkflowRun = InferEntity<typeof WorkflowRun>;

/** One node of a run: live status for the canvas overlay, with short input/output summaries. */
export const WorkflowRunStep = defineEntity({
  name: 'WorkflowRunStep',
  properties: {
    id: p.integer().primary().autoincrement(),
    run: () => p.manyToOne(WorkflowRun).deleteRule('cascade'),
    nodeId: p.string(),
    status: p.enum(STEP_STATUSES).default('waiting'),
    visits: p.integer().default(0),
    startedAt: p.datetime().nullable(),
    endedAt: p.datetime().nullable(),
    inputSummary: p.json<unknown>().nullable(),
    outputSummary: p.json<unknown>().nullable(),
    error: p.text().nullable(),
    /** Its undo ran (saga compensation). */
    compensation: p.boolean().default(false),
  },
  uniques: [{ properties: ['run', 'nodeId'], name: 'workflow_run_step_run_node_unique' }],
  // Mark the minutes the changed runs started in for the workflow rollups' refresher (migration
  // Migration20261207110000_workflow_rollups holds the functions): once per statement, with the statement's rows.
  triggers: [
    {
      name: 'workflow_run_step_dirty_insert',
      timing: 'after',
      events: ['insert'],
      forEach: 'statement',
      expression:
        'create trigger "workflow_run_step_dirty_insert" after insert on "workflow_run_step" referencing new table as new_rows for each statement execute function "workflow_run_step_mark_dirty_fn"()',
    },
    {
      name: 'workflow_run_step_dirty_update',
      timing: 'after',
      events: ['update'],
      forEach: 'statement',
      expression:
        'create trigger "workflow_run_step_dirty_update" after update on "workflow_run_step" referencing old table as old_rows new table as new_rows for each statement execute function "workflow_run_step_mark_dirty_fn"()',
    },
  ],
});
export type IWorkflowRunStep = InferEntity<typeof WorkflowRunStep>;

/** A decision a person owes a run (control.human). The roles listed may decide it from the console inbox. */
export const HumanTask = defineEntity({
  name: 'HumanTask',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** The activity key (workflow id + node id + visit): opening the task again is a no-op. */
    key: p.string().unique(),
    workflowId: p.string(),
    nodeId: p.string(),
    title: p.string(),
    roles: p.array(),
    status: p.enum(TASK_STATUSES).default('open'),
    decidedBy: p.string().nullable(),
    comment: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    decidedAt: p.datetime().nullable(),
    dueAt: p.datetime().nullable(),
    entityType: p.string().nullable(),
    entityId: p.string().nullable(),
  },
  indexes: [
    { properties: ['status', 'createdAt'], name: 'human_task_status_created_index' },
    { properties: ['workflowId', 'nodeId'], name: 'human_task_workflow_node_index' },
  ],
});
export type IHumanTask = InferEntity<typeof HumanTask>;

/**
 * Who has a definition open in the designer, one row per open designer (a browser socket). The web
 * process holding the socket refreshes `seenAt` on a heartbeat and deletes the row when the socket
 * leaves; rows of a process that died stop being refreshed and expire.
 */
export const DesignerPresence = defineEntity({
  name: 'DesignerPresence',
  properties: {
    id: p.integer().primary().autoincrement(),
    definition: () => p.manyToOne(WorkflowDefinition).deleteRule('cascade').index(),
    socketId: p.string(),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    userName: p.string(),
    /** The user may edit (not only look at) the flow. */
    editing: p.boolean(),
    /** The web process holding the socket. */
    node: p.string().index(),
    joinedAt: p.datetime(),
    seenAt: p.datetime().index(),
  },
  uniques: [{ properties: ['socketId', 'definition'], name: 'designer_presence_socket_definition_unique' }],
});
export type IDesignerPresence = InferEntity<typeof DesignerPresence>;
