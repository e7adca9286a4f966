// Reading flows and runs for the console.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { DateText } from '../../lib/boundary.ts';
import type { FlowTranslations } from '../../../entities/workflows.ts';
import type { Graph } from '../../../workflows/graph.ts';
import { RUN_STATUSES } from '../../../entities/workflows.ts';
import { Id } from '../../lib/ids.ts';
import { sql } from 'kysely';
import { db } from '../../lib/db.server.ts';

/** A row of listDefinitions' query (counts are bigint, so strings). */
interface DefinitionListRow {
  id: number;
  key: string;
  name: string;
  kind: string;
  description: string | null;
  translations: FlowTranslations | null;
  draft_updated_at: string | null;
  draft_updated_by: string | null;
  version: number | null;
  published_at: string | null;
  author: string | null;
  hash: string | null;
  runs: string;
  running: string;
  events: string | null;
}

export async function listDefinitions(em: EntityManager) {
  // Kept raw: a lateral join for the latest version and three correlated aggregates.
  const rows = await em.execute<DefinitionListRow[]>(
    `select d.id, d.key, d.name, d.kind, d.description, d.translations, d.draft_updated_at, d.draft_updated_by,
            v.number as version, v.published_at, v.author, v.hash,
            (select count(*) from workflow_run r where r.definition_id = d.id) as runs,
            (select count(*) from workflow_run r where r.definition_id = d.id and r.status = 'running') as running,
            (select string_agg(b.event, ', ' order by b.priority) from workflow_binding b where b.definition_id = d.id and b.active) as events
       from workflow_definition d
       left join lateral (select * from workflow_version v where v.definition_id = d.id order by v.number desc limit 1) v on true
      order by d.name`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    key: r.key as string,
    name: r.name as string,
    kind: r.kind as string,
    description: r.description as string | null,
    translations: (r.translations as FlowTranslations | null) ?? {},
    version: r.version === null ? null : Number(r.version),
    publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null,
    author: r.author as string | null,
    draftUpdatedAt: r.draft_updated_at ? new Date(r.draft_updated_at).toISOString() : null,
    draftUpdatedBy: r.draft_updated_by as string | null,
    runs: Number(r.runs),
    running: Number(r.running),
    events: (r.events as string | null) ?? '',
  }));
}

export async function getDefinition(em: EntityManager, key: string) {
  const d = await db(em).selectFrom('workflow_definition').selectAll().where('key', '=', key).executeTakeFirst();
  if (!d) return null;
  const versions = await db(em)
    .selectFrom('workflow_version')
    .select(['id', 'number', 'message', 'author', 'published_at', 'hash'])
    .where('definition_id', '=', d.id)
    .orderBy('number', 'desc')
    .execute();
  return {
    id: Number(d.id),
    key: d.key as string,
    name: d.name as string,
    kind: d.kind as string,
    description: d.description as string | null,
    translations: (d.translations as FlowTranslations | null) ?? {},
    draft: d.draft as Graph,
    draftUpdatedAt: new Date(d.draft_updated_at).toISOString(),
    draftUpdatedBy: d.draft_updated_by as string | null,
    versions: versions.map((v) => ({
      id: Number(v.id),
      number: Number(v.number),
      message: v.message as string | null,
      author: v.author as string | null,
      publishedAt: new Date(v.published_at).toISOString(),
      hash: v.hash as string,
    })),
  };
}

export const RunFilters = z.object({
  flow: z.string().max(100).optional().catch(undefined),
  /** A version number: int4 from 1, as an id. */
  version: Id.optional().catch(undefined),
  status: z.enum(RUN_STATUSES).optional().catch(undefined),
  from: DateText.optional().catch(undefined),
  to: DateText.optional().catch(undefined),
  q: z.string().trim().max(100).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});

/** Runs, newest first; `from` / `to` are the business days (in `timeZone`) the runs started on, as the flow report counts them. */
export async function listRuns(em: EntityManager, f: z.infer<typeof RunFilters>, pageSize = 50, timeZone: string = process.env.BUSINESS_TIME_ZONE || 'UTC') {
  const payloadNumber = sql<string | null>`r.trigger_payload ->> 'number'`;
  const rows = await db(em)
    .selectFrom('workflow_run as r')
    .leftJoin('workflow_definition as d', 'd.id', 'r.definition_id')
    .leftJoin('workflow_version as v', 'v.id', 'r.version_id')
    .select([
      'r.id',
      'r.workflow_id',
      'r.status',
      'r.started_at',
      'r.ended_at',
      'r.error',
      'r.trigger_type',
      payloadNumber.as('number'),
      'd.key',
      'd.name',
      'd.translations as flow_translations',
      'v.number as version',
    ])
    .$if(!!f.flow, (q) => q.where('d.key', '=', f.flow ?? ''))
    .$if(!!f.version, (q) => q.where('v.number', '=', f.version ?? 0))
    .$if(!!f.status, (q) => q.where('r.status', '=', f.status!))
    .$if(!!f.from, (q) => q.where('r.started_at', '>=', sql<Date>`(${f.from ?? null}::date)::timestamp at time zone ${timeZone}`))
    .$if(!!f.to, (q) => q.where('r.started_at', '<', sql<Date>`(${f.to ?? null}::date + 1)::timestamp at time zone ${timeZone}`))
    .$if(!!f.q, (q) => q.where((eb) => eb.or([eb('r.workflow_id', 'ilike', `%${f.q}%`), eb(payloadNumber, 'ilike', `%${f.q}%`)])))
    .orderBy('r.id', 'desc')
    .limit(pageSize + 1)
    .offset((f.page - 1) * pageSize)
    .execute();
  return {
    rows: rows.slice(0, pageSize).map((r) => ({
      id: Number(r.id),
      workflowId: r.workflow_id as string,
      status: r.status as string,
      startedAt: new Date(r.started_at).toISOString(),
      endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
      error: r.error as string | null,
      trigger: r.trigger_type as string,
      number: r.number as string | null,
      flow: r.name as string | null,
      flowTranslations: (r.flow_translations as FlowTranslations | null) ?? {},
      flowKey: r.key as string | null,
      version: r.version === null ? null : Number(r.version),
    })),
    more: rows.length > pageSize,
  };
}

export async function getRun(em: EntityManager, workflowId: string) {
  const r = await db(em)
    .selectFrom('workflow_run as r')
    .leftJoin('workflow_definition as d', 'd.id', 'r.definition_id')
    .leftJoin('workflow_version as v', 'v.id', 'r.version_id')
    .selectAll('r')
    .select(['d.key', 'd.name', 'd.translations as flow_translations', 'v.number as version', 'v.graph'])
    .where('r.workflow_id', '=', workflowId)
    .executeTakeFirst();
  if (!r) return null;
  const steps = await db(em)
    .selectFrom('workflow_run_step')
    .selectAll()
    .where('run_id', '=', r.id)
    .orderBy(sql`coalesce(started_at, ended_at) nulls last`)
    .orderBy('id')
    .execute();
  return {
    id: Number(r.id),
    workflowId: r.workflow_id as string,
    status: r.status as string,
    flow: r.name as string | null,
    flowTranslations: (r.flow_translations as FlowTranslations | null) ?? {},
    flowKey: r.key as string | null,
    version: r.version === null ? null : Number(r.version),
    graph: (r.graph as Graph | null) ?? { nodes: [], edges: [] },
    trigger: r.trigger_type as string,
    payload: r.trigger_payload as Record<string, unknown>,
    startedAt: new Date(r.started_at).toISOString(),
    endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
    error: r.error as string | null,
    entityType: r.entity_type as string | null,
    entityId: r.entity_id as string | null,
    steps: steps.map((s) => ({
      nodeId: s.node_id as string,
      status: s.status as string,
      visits: Number(s.visits),
      startedAt: s.started_at ? new Date(s.started_at).toISOString() : null,
      endedAt: s.ended_at ? new Date(s.ended_at).toISOString() : null,
      input: s.input_summary,
      output: s.output_summary,
      error: s.error as string | null,
      compensation: !!s.compensation,
    })),
  };
}

/** One published version's graph, by the definition and the version's number. */
export async function getVersionGraph(
  em: EntityManager,
  definitionId: number,
  number: number,
): Promise<{ number: number; message: string | null; graph: Graph } | null> {
  const v = await db(em)
    .selectFrom('workflow_version')
    .select(['number', 'message', 'graph'])
    .where('definition_id', '=', definitionId)
    .where('number', '=', number)
    .executeTakeFirst();
  return v ? { number: Number(v.number), message: v.message, graph: v.graph } : null;
}

/** Product ids for SKUs (unknown SKUs are left out). */
export async function productIdsBySku(em: EntityManager, skus: string[]): Promise<Map<string, number>> {
  if (!skus.length) return new Map();
  const rows = await db(em).selectFrom('product').select(['id', 'sku']).where('sku', 'in', skus).execute();
  return new Map(rows.map((r) => [r.sku, Number(r.id)]));
}
