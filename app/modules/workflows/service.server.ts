// Workflow definitions, their published versions and the bindings that start them.
//
// A definition holds the draft the designer edits. Publishing validates and compiles the draft and
// stores it as the next version, which is never changed again; a rollback publishes an old version's
// graph anew. A binding says which definition an event starts: the first active binding for the event,
// by priority (lowest first), whose JSONata filter holds over the event's payload. The run is pinned
// to that definition's latest version when it starts.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import jsonata from 'jsonata';
import { sql } from 'kysely';
import { evaluateBounded } from '../../lib/expressions.ts';
import { parseCron } from './schedules.server.ts';
import { z } from 'zod';
import { BINDING_EVENTS, WORKFLOW_KINDS, type BindingEvent, type FlowTranslations, type WorkflowKind } from '../../../entities/workflows.ts';
import type { Graph, Plan } from '../../../workflows/graph.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db, jsonb } from '../../lib/db.server.ts';
import { parseInput, DomainError, fieldError, invalid } from '../../lib/errors.ts';
import { Id as RowId } from '../../lib/ids.ts';
import { publish as announce } from '../../lib/outbox.server.ts';
import { fieldErrors, type FieldError } from '../../lib/problem.ts';
import { compileGraph } from './compile.server.ts';
import { validateGraph, type GraphError } from './validate.ts';

// ---- Graph shape ----

const Id = z.string().trim().min(1).max(100);
/** The graph as the canvas sends it; React Flow's extra keys (selected, measured, …) are dropped. */
export const GraphSchema = z.object({
  nodes: z
    .array(
      z.object({
        id: Id,
        type: z.string().trim().min(1).max(100),
        position: z.object({ x: z.number().finite(), y: z.number().finite() }),
        data: z
          .object({
            label: z.string().max(200).optional(),
            labels: z
              .strictObject({ en: z.string().max(200).optional(), 'zh-CN': z.string().max(200).optional(), 'zh-TW': z.string().max(200).optional() })
              .optional(),
            config: z.record(z.string(), z.unknown()).optional(),
          })
          .default({}),
      }),
    )
    .max(500),
  edges: z
    .array(
      z.object({
        id: z.string().trim().min(1).max(300),
        source: Id,
        sourceHandle: z.string().max(100).nullish(),
        target: Id,
        targetHandle: z.string().max(100).nullish(),
      }),
    )
    .max(2000),
});

/** Graph errors as field errors: `nodes.<id>` (or `edges.<id>`, or `graph` for the flow as a whole). */
function graphFieldErrors(errors: GraphError[]): FieldError[] {
  return errors.map((e) => {
    const params: Record<string, string | number> = { ...(e.params ?? {}) };
    if (e.field) params.field ??= e.field;
    if (e.edgeId) params.edge = e.edgeId;
    return { field: e.nodeId ? `nodes.${e.nodeId}` : e.edgeId ? `edges.${e.edgeId}` : 'graph', code: e.code, messageKey: `workflowErrors.${e.code}`, params };
  });
}

const graphInvalid = (errors: GraphError[]) => {
  const list = graphFieldErrors(errors);
  return new DomainError(422, 'workflow_invalid', list.map((e) => `${e.field}: ${e.code}`).join('; '), { field: list[0]?.field, errors: list });
};

const byLabel = (actor: Actor) => actor.label ?? (actor.id == null ? actor.type : `${actor.type}:${actor.id}`);

// ---- Definitions ----

const RESERVED_KEYS = ['tasks', 'runs', 'bindings', 'new'];

const DefinitionInput = z.object({
  // Keys name console pages (/workflows/<key>), so the console's own sub-pages are not available.
  key: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .refine((k) => !RESERVED_KEYS.includes(k), 'reserved'),
  name: z.string().trim().min(1).max(200),
  description: z
    .string()
    .trim()
    .max(2000)
    .nullish()
    .transform((v) => v || null),
  kind: z.enum(WORKFLOW_KINDS).default('other'),
  graph: GraphSchema.optional(),
  translations: z.lazy(() => Translations).optional(),
});

const TranslationText = z.strictObject({
  name: z.string().trim().max(200).optional(),
  description: z.string().trim().max(2000).optional(),
});
/** A flow's name and description per language (empty ones dropped). */
const Translations = z
  .strictObject({ en: TranslationText.optional(), 'zh-CN': TranslationText.optional(), 'zh-TW': TranslationText.optional() })
  .transform((t) =>
    Object.fromEntries(
      Object.entries(t)
        .map(([lng, v]) => [lng, Object.fromEntries(Object.entries(v ?? {}).filter(([, x]) => x))] as const)
        .filter(([, v]) => Object.keys(v).length),
    ),
  );

export interface DefinitionRow {
  id: number;
  key: string;
  name: string;
  description: string | null;
  translations: FlowTranslations;
  kind: WorkflowKind;
  draftUpdatedAt: string;
  draftUpdatedBy: string | null;
  latestVersion: number | null;
}

const TRIGGER_FOR_KIND: Record<WorkflowKind, BindingEvent> = { order: 'order.created', return: 'return.requested', reorder: 'stock.low', other: 'manual' };

export async function createDefinition(orm: MikroORM, raw: unknown, actor: Actor): Promise<{ id: number; key: string }> {
  const parsed = DefinitionInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  const graph: Graph = input.graph ?? {
    nodes: [{ id: 'trigger', type: 'control.trigger', position: { x: 0, y: 0 }, data: { config: { event: TRIGGER_FOR_KIND[input.kind] } } }],
    edges: [],
  };
  return orm.em.fork().transactional(async (em) => {
    const row = await db(em)
      .insertInto('workflow_definition')
      .values({
        key: input.key,
        name: input.name,
        description: input.description,
        translations: jsonb(input.translations ?? {}),
        kind: input.kind,
        draft: jsonb(graph),
        draft_updated_at: sql`now()`,
        draft_updated_by: byLabel(actor),
        created_at: sql`now()`,
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row)
      throw new DomainError(409, 'duplicate_workflow_key', `A workflow with the key ${input.key} exists.`, { field: 'key', params: { key: input.key } });
    const id = Number(row.id);
    audit(em, actor, {
      action: 'workflow.created',
      entityType: 'WorkflowDefinition',
      entityId: id,
      after: { key: input.key, name: input.name, kind: input.kind },
    });
    announce(em, 'workflows', 'definition.created', { definitionId: id, key: input.key, name: input.name });
    return { id, key: input.key };
  });
}

const Names = z.object({
  name: z.string().trim().min(1).max(200),
  description: z
    .string()
    .trim()
    .max(2000)
    .nullish()
    .transform((v) => v || null),
  translations: Translations,
});

/** Renames a flow and sets its name and description in each language (audited, announced). */
export async function renameDefinition(orm: MikroORM, definitionId: number, raw: unknown, actor: Actor): Promise<{ changed: boolean }> {
  const parsed = Names.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  return orm.em.fork().transactional(async (em) => {
    const before = await db(em)
      .selectFrom('workflow_definition')
      .select(['name', 'description', 'translations'])
      .where('id', '=', definitionId)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw new DomainError(404, 'not_found', `Workflow ${definitionId} does not exist.`);
    const after = { name: input.name, description: input.description, translations: input.translations };
    if (JSON.stringify({ name: before.name, description: before.description, translations: before.translations ?? {} }) === JSON.stringify(after))
      return { changed: false };
    await db(em)
      .updateTable('workflow_definition')
      .set({ name: input.name, description: input.description, translations: jsonb(input.translations) })
      .where('id', '=', definitionId)
      .execute();
    audit(em, actor, {
      action: 'workflow.renamed',
      entityType: 'WorkflowDefinition',
      entityId: definitionId,
      before: { name: before.name, description: before.description, translations: before.translations },
      after,
    });
    announce(em, 'workflows', 'definition.renamed', { definitionId, name: input.name });
    return { changed: true };
  });
}

export async function listDefinitions(em: EntityManager): Promise<DefinitionRow[]> {
  const rows = await db(em)
    .selectFrom('workflow_definition as d')
    .select((eb) => [
      'd.id',
      'd.key',
      'd.name',
      'd.description',
      'd.translations',
      'd.kind',
      'd.draft_updated_at',
      'd.draft_updated_by',
      eb
        .selectFrom('workflow_version as v')
        .select((v) => v.fn.max('v.number').as('n'))
        .whereRef('v.definition_id', '=', 'd.id')
        .as('latest'),
    ])
    .orderBy('d.name')
    .orderBy('d.id')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    key: r.key,
    name: r.name,
    description: r.description,
    translations: (r.translations as FlowTranslations | null) ?? {},
    kind: r.kind,
    draftUpdatedAt: new Date(r.draft_updated_at).toISOString(),
    draftUpdatedBy: r.draft_updated_by,
    latestVersion: r.latest == null ? null : Number(r.latest),
  }));
}

export async function getDefinition(em: EntityManager, idOrKey: number | string) {
  const row = await db(em)
    .selectFrom('workflow_definition')
    .select(['id', 'key', 'name', 'description', 'translations', 'kind', 'draft', 'draft_updated_at', 'draft_updated_by'])
    .$if(typeof idOrKey === 'number', (q) => q.where('id', '=', idOrKey as number))
    .$if(typeof idOrKey !== 'number', (q) => q.where('key', '=', idOrKey as string))
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: Number(row.id),
    key: row.key,
    name: row.name,
    description: row.description,
    translations: (row.translations as FlowTranslations | null) ?? {},
    kind: row.kind,
    draft: row.draft,
    draftUpdatedAt: new Date(row.draft_updated_at).toISOString(),
    draftUpdatedBy: row.draft_updated_by,
  };
}

/**
 * Saves the designer's draft (shape-checked; graph errors are reported, not refused: a draft may be
 * unfinished). Announces `draft.saved` with the editor and the designer tab that saved (`tab`, the
 * browser's own id), so that every other open designer can offer to load the newer draft.
 */
export async function saveDraft(
  orm: MikroORM,
  definitionId: number,
  raw: unknown,
  actor: Actor,
  opts: { tab?: string | null } = {},
): Promise<{ savedAt: string; errors: FieldError[] }> {
  const parsed = GraphSchema.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const graph = parsed.data as Graph;
  return orm.em.fork().transactional(async (em) => {
    const before = await db(em)
      .selectFrom('workflow_definition')
      .select(['key', 'draft_updated_at', 'draft_updated_by'])
      .where('id', '=', definitionId)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw new DomainError(404, 'not_found', `No workflow ${definitionId}.`);
    const row = await db(em)
      .updateTable('workflow_definition')
      .set({ draft: jsonb(graph), draft_updated_at: sql`now()`, draft_updated_by: byLabel(actor) })
      .where('id', '=', definitionId)
      .returning('draft_updated_at')
      .executeTakeFirstOrThrow();
    const savedAt = new Date(row.draft_updated_at).toISOString();
    audit(em, actor, {
      action: 'workflow.draft_saved',
      entityType: 'WorkflowDefinition',
      entityId: definitionId,
      before: { draftUpdatedAt: new Date(before.draft_updated_at).toISOString(), draftUpdatedBy: before.draft_updated_by },
      after: { draftUpdatedAt: savedAt, nodes: graph.nodes.length, edges: graph.edges.length },
    });
    announce(em, 'workflows', 'draft.saved', {
      definitionId,
      key: before.key,
      by: byLabel(actor),
      actorId: actor.id ?? null,
      tab: opts.tab?.slice(0, 64) || null,
      at: savedAt,
    });
    return { savedAt, errors: graphFieldErrors(validateGraph(graph)) };
  });
}

// ---- Versions ----

export interface VersionRow {
  id: number;
  definitionId: number;
  number: number;
  hash: string;
  message: string | null;
  author: string | null;
  publishedAt: string;
}

async function insertVersion(
  em: EntityManager,
  def: { id: number; key: string },
  graph: Graph,
  plan: Plan,
  message: string | null,
  actor: Actor,
  action: string,
  extra: Record<string, unknown> = {},
): Promise<VersionRow> {
  const row = await db(em)
    .insertInto('workflow_version')
    .columns(['definition_id', 'number', 'graph', 'plan', 'hash', 'message', 'author', 'published_at'])
    .expression((eb) =>
      eb
        .selectFrom('workflow_version')
        .select([
          eb.val(def.id).as('definition_id'),
          sql<number>`coalesce(max(number), 0) + 1`.as('number'),
          jsonb(graph).as('graph'),
          jsonb(plan).as('plan'),
          eb.val(plan.hash).as('hash'),
          eb.val(message).as('message'),
          eb.val(byLabel(actor)).as('author'),
          sql<Date>`now()`.as('published_at'),
        ])
        .where('definition_id', '=', def.id),
    )
    .returning(['id', 'number', 'published_at'])
    .executeTakeFirstOrThrow();
  const version: VersionRow = {
    id: Number(row.id),
    definitionId: def.id,
    number: Number(row.number),
    hash: plan.hash,
    message,
    author: byLabel(actor),
    publishedAt: new Date(row.published_at).toISOString(),
  };
  audit(em, actor, { action, entityType: 'WorkflowDefinition', entityId: def.id, after: { version: version.number, hash: plan.hash, message, ...extra } });
  announce(em, 'workflows', 'version.published', { definitionId: def.id, key: def.key, version: version.number, by: version.author });
  return version;
}

const Message = z
  .string()
  .trim()
  .max(500)
  .nullish()
  .transform((v) => v || null);

/**
 * Publishes the draft as the next version. An invalid graph is refused with 422 listing every error
 * by node id, and nothing is written. Versions of one definition are numbered 1, 2, 3… (the
 * definition row is locked while the number is taken).
 */
export async function publish(orm: MikroORM, definitionId: number, message: string | null | undefined, actor: Actor): Promise<VersionRow> {
  const msg = parseInput(Message, message, 'message');
  return orm.em.fork().transactional(async (em) => {
    const def = await db(em).selectFrom('workflow_definition').select(['id', 'key', 'draft']).where('id', '=', definitionId).forUpdate().executeTakeFirst();
    if (!def) throw new DomainError(404, 'not_found', `No workflow ${definitionId}.`);
    const compiled = compileGraph(def.draft);
    if (!compiled.ok) throw graphInvalid(compiled.errors);
    return insertVersion(em, { id: Number(def.id), key: def.key }, def.draft, compiled.plan, msg, actor, 'workflow.published');
  });
}

/** Publishes an old version's graph as a new version (history stays intact), and makes it the draft. */
export async function rollback(orm: MikroORM, definitionId: number, toVersion: number, actor: Actor, message?: string | null): Promise<VersionRow> {
  return orm.em.fork().transactional(async (em) => {
    const def = await db(em).selectFrom('workflow_definition').select(['id', 'key']).where('id', '=', definitionId).forUpdate().executeTakeFirst();
    if (!def) throw new DomainError(404, 'not_found', `No workflow ${definitionId}.`);
    const old = await db(em)
      .selectFrom('workflow_version')
      .select('graph')
      .where('definition_id', '=', definitionId)
      .where('number', '=', toVersion)
      .executeTakeFirst();
    if (!old) throw new DomainError(404, 'not_found', `Workflow ${def.key} has no version ${toVersion}.`, { field: 'version', params: { version: toVersion } });
    // The catalogue may have changed since: the old graph must still be valid to run.
    const compiled = compileGraph(old.graph);
    if (!compiled.ok) throw graphInvalid(compiled.errors);
    await db(em)
      .updateTable('workflow_definition')
      .set({ draft: jsonb(old.graph), draft_updated_at: sql`now()`, draft_updated_by: byLabel(actor) })
      .where('id', '=', definitionId)
      .execute();
    return insertVersion(
      em,
      { id: Number(def.id), key: def.key },
      old.graph,
      compiled.plan,
      parseInput(Message, message, 'message') ?? `Rollback to v${toVersion}`,
      actor,
      'workflow.rolled_back',
      { from: toVersion },
    );
  });
}

export async function listVersions(em: EntityManager, definitionId: number): Promise<VersionRow[]> {
  const rows = await db(em)
    .selectFrom('workflow_version')
    .select(['id', 'number', 'hash', 'message', 'author', 'published_at'])
    .where('definition_id', '=', definitionId)
    .orderBy('number', 'desc')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    definitionId,
    number: Number(r.number),
    hash: r.hash,
    message: r.message,
    author: r.author,
    publishedAt: new Date(r.published_at).toISOString(),
  }));
}

/** The definition's newest version with its plan (what a new run is pinned to). */
export async function latestVersion(em: EntityManager, definition: number | string): Promise<(VersionRow & { plan: Plan; graph: Graph }) | null> {
  const r = await db(em)
    .selectFrom('workflow_version as v')
    .innerJoin('workflow_definition as d', 'd.id', 'v.definition_id')
    .selectAll('v')
    .$if(typeof definition === 'number', (q) => q.where('d.id', '=', definition as number))
    .$if(typeof definition !== 'number', (q) => q.where('d.key', '=', definition as string))
    .orderBy('v.number', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!r) return null;
  return {
    id: Number(r.id),
    definitionId: Number(r.definition_id),
    number: Number(r.number),
    hash: r.hash,
    message: r.message,
    author: r.author,
    publishedAt: new Date(r.published_at).toISOString(),
    plan: r.plan,
    graph: r.graph,
  };
}

// ---- Bindings ----

const BindingInput = z.object({
  event: z.enum(BINDING_EVENTS),
  filter: z
    .string()
    .trim()
    .max(2000)
    .nullish()
    .transform((v) => v || null),
  priority: z.coerce.number().int().min(0).max(1_000_000).default(100),
  definitionId: RowId,
  active: z.boolean().default(true),
  cron: z
    .string()
    .trim()
    .max(100)
    .nullish()
    .transform((v) => v || null),
});

export interface BindingRow {
  id: number;
  event: BindingEvent;
  filter: string | null;
  priority: number;
  definitionId: number;
  definitionKey: string;
  definitionName: string;
  active: boolean;
  cron: string | null;
}

async function checkBinding(em: EntityManager, b: z.infer<typeof BindingInput>): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  if (b.filter) {
    try {
      jsonata(b.filter);
    } catch (e) {
      errors.push(fieldError('filter', 'bad_expression', { message: (e as Error).message }));
    }
  }
  if (b.event === 'schedule' && !b.cron) errors.push(fieldError('cron', 'required'));
  if (b.cron && !parseCron(b.cron)) errors.push(fieldError('cron', 'invalid_cron'));
  const def = await db(em).selectFrom('workflow_definition').select('id').where('id', '=', b.definitionId).executeTakeFirst();
  if (!def) errors.push(fieldError('definitionId', 'unknown_workflow', { id: b.definitionId }));
  return errors;
}

const bindingSnapshot = (b: z.infer<typeof BindingInput>) => ({
  event: b.event,
  filter: b.filter,
  priority: b.priority,
  definitionId: b.definitionId,
  active: b.active,
  cron: b.cron,
});

export async function createBinding(orm: MikroORM, raw: unknown, actor: Actor): Promise<BindingRow> {
  const parsed = BindingInput.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const b = parsed.data;
  return orm.em.fork().transactional(async (em) => {
    const errors = await checkBinding(em, b);
    if (errors.length) throw invalid(errors);
    const row = await db(em)
      .insertInto('workflow_binding')
      .values({
        event: b.event,
        filter: b.filter,
        priority: b.priority,
        definition_id: b.definitionId,
        active: b.active,
        cron: b.cron,
        created_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    audit(em, actor, { action: 'workflow.binding_created', entityType: 'WorkflowBinding', entityId: id, after: bindingSnapshot(b) });
    announce(em, 'workflows', 'binding.changed', { bindingId: id, event: b.event });
    return (await getBinding(em, id))!;
  });
}

export async function updateBinding(orm: MikroORM, id: number, raw: unknown, actor: Actor): Promise<BindingRow> {
  return orm.em.fork().transactional(async (em) => {
    const current = await db(em)
      .selectFrom('workflow_binding')
      .select(['event', 'filter', 'priority', 'definition_id', 'active', 'cron'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw new DomainError(404, 'not_found', `No binding ${id}.`);
    const before = {
      event: current.event,
      filter: current.filter,
      priority: Number(current.priority),
      definitionId: Number(current.definition_id),
      active: current.active,
      cron: current.cron,
    };
    const parsed = BindingInput.safeParse({ ...before, ...(raw && typeof raw === 'object' ? raw : {}) });
    if (!parsed.success) throw invalid(fieldErrors(parsed.error));
    const b = parsed.data;
    const errors = await checkBinding(em, b);
    if (errors.length) throw invalid(errors);
    await db(em)
      .updateTable('workflow_binding')
      .set({ event: b.event, filter: b.filter, priority: b.priority, definition_id: b.definitionId, active: b.active, cron: b.cron, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
    audit(em, actor, { action: 'workflow.binding_updated', entityType: 'WorkflowBinding', entityId: id, before, after: bindingSnapshot(b) });
    announce(em, 'workflows', 'binding.changed', { bindingId: id, event: b.event });
    return (await getBinding(em, id))!;
  });
}

export async function deleteBinding(orm: MikroORM, id: number, actor: Actor): Promise<void> {
  await orm.em.fork().transactional(async (em) => {
    const row = await db(em).deleteFrom('workflow_binding').where('id', '=', id).returning(['event', 'filter', 'priority', 'definition_id']).executeTakeFirst();
    if (!row) throw new DomainError(404, 'not_found', `No binding ${id}.`);
    audit(em, actor, {
      action: 'workflow.binding_deleted',
      entityType: 'WorkflowBinding',
      entityId: id,
      before: { event: row.event, filter: row.filter, priority: Number(row.priority), definitionId: Number(row.definition_id) },
    });
    announce(em, 'workflows', 'binding.changed', { bindingId: id, event: row.event });
  });
}

interface RawBinding {
  id: number;
  event: BindingEvent;
  filter: string | null;
  priority: number;
  definition_id: number;
  key: string;
  name: string;
  active: boolean;
  cron: string | null;
}
const toBinding = (r: RawBinding): BindingRow => ({
  id: Number(r.id),
  event: r.event,
  filter: r.filter,
  priority: Number(r.priority),
  definitionId: Number(r.definition_id),
  definitionKey: r.key,
  definitionName: r.name,
  active: r.active,
  cron: r.cron,
});
const selectBindings = (em: EntityManager) =>
  db(em)
    .selectFrom('workflow_binding as b')
    .innerJoin('workflow_definition as d', 'd.id', 'b.definition_id')
    .select(['b.id', 'b.event', 'b.filter', 'b.priority', 'b.definition_id', 'd.key', 'd.name', 'b.active', 'b.cron']);

async function getBinding(em: EntityManager, id: number): Promise<BindingRow | null> {
  const row = await selectBindings(em).where('b.id', '=', id).executeTakeFirst();
  return row ? toBinding(row) : null;
}

/** Bindings in the order they are tried: by event, then priority (lowest first), then age. */
export async function listBindings(em: EntityManager, event?: BindingEvent): Promise<BindingRow[]> {
  const rows = await selectBindings(em)
    .$if(!!event, (q) => q.where('b.event', '=', event!))
    .orderBy('b.event')
    .orderBy('b.priority')
    .orderBy('b.id')
    .execute();
  return rows.map(toBinding);
}

export interface BindingMatch {
  binding: BindingRow;
  version: VersionRow & { plan: Plan };
}

/**
 * The first active binding for `event`, by priority, whose filter is truthy over `payload` (for a
 * `schedule` or `manual` firing: the binding it names), with its
 * definition's latest version. A filter that fails to evaluate counts as not matching; a definition
 * without a published version is passed over.
 */
export async function matchBinding(em: EntityManager, event: string, payload: Record<string, unknown>): Promise<BindingMatch | null> {
  if (!(BINDING_EVENTS as readonly string[]).includes(event)) return null;
  // A schedule's firing or a "Run now" names its binding: that one runs (if still active), no other.
  const own = event === 'schedule' || event === 'manual' ? Number(payload.bindingId) : null;
  const candidates = (await listBindings(em, event as BindingEvent)).filter((b) => b.active && (own === null || b.id === own));
  for (const binding of candidates) {
    if (binding.filter) {
      let hit: unknown;
      try {
        hit = await evaluateBounded(binding.filter, payload);
      } catch {
        continue;
      }
      if (!truthy(hit)) continue;
    }
    const version = await latestVersion(em, binding.definitionId);
    if (version) return { binding, version };
  }
  return null;
}

/** JSONata's idea of truth for a filter: empty sequences and arrays are false. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(truthy);
  return !!v;
}
