// Reading flows and runs for the console.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { DateText } from '../../lib/boundary.ts';
import type { Graph } from '../../../workflows/graph.ts';
import { RUN_STATUSES } from '../../../entities/workflows.ts';
import { Id } from '../../lib/ids.ts';

export async function listDefinitions(em: EntityManager) {
  const rows = await em.execute<Record<string, any>[]>(
    `select d.id, d.key, d.name, d.kind, d.description, d.draft_updated_at, d.draft_updated_by,
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
  const [d] = await em.execute<Record<string, any>[]>('select * from workflow_definition where key = ?', [key]);
  if (!d) return null;
  const versions = await em.execute<Record<string, any>[]>(
    'select id, number, message, author, published_at, hash from workflow_version where definition_id = ? order by number desc',
    [d.id],
  );
  return {
    id: Number(d.id),
    key: d.key as string,
    name: d.name as string,
    kind: d.kind as string,
    description: d.description as string | null,
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

export async function listRuns(em: EntityManager, f: z.infer<typeof RunFilters>, pageSize = 50) {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.flow) {
    where.push('d.key = ?');
    params.push(f.flow);
  }
  if (f.version) {
    where.push('v.number = ?');
    params.push(f.version);
  }
  if (f.status) {
    where.push('r.status = ?');
    params.push(f.status);
  }
  if (f.from) {
    where.push('r.started_at >= ?');
    params.push(new Date(`${f.from}T00:00:00Z`));
  }
  if (f.to) {
    where.push('r.started_at < ?');
    params.push(new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000));
  }
  if (f.q) {
    where.push(`(r.workflow_id ilike ? or r.trigger_payload ->> 'number' ilike ?)`);
    params.push(`%${f.q}%`, `%${f.q}%`);
  }
  const rows = await em.execute<Record<string, any>[]>(
    `select r.id, r.workflow_id, r.status, r.started_at, r.ended_at, r.error, r.trigger_type, r.trigger_payload ->> 'number' as number,
            d.key, d.name, v.number as version
       from workflow_run r left join workflow_definition d on d.id = r.definition_id left join workflow_version v on v.id = r.version_id
      ${where.length ? `where ${where.join(' and ')}` : ''}
      order by r.id desc limit ? offset ?`,
    [...params, pageSize + 1, (f.page - 1) * pageSize],
  );
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
      flowKey: r.key as string | null,
      version: r.version === null ? null : Number(r.version),
    })),
    more: rows.length > pageSize,
  };
}

export async function getRun(em: EntityManager, workflowId: string) {
  const [r] = await em.execute<Record<string, any>[]>(
    `select r.*, d.key, d.name, v.number as version, v.graph from workflow_run r left join workflow_definition d on d.id = r.definition_id
       left join workflow_version v on v.id = r.version_id where r.workflow_id = ?`,
    [workflowId],
  );
  if (!r) return null;
  const steps = await em.execute<Record<string, any>[]>(
    'select * from workflow_run_step where run_id = ? order by coalesce(started_at, ended_at) nulls last, id',
    [r.id],
  );
  return {
    id: Number(r.id),
    workflowId: r.workflow_id as string,
    status: r.status as string,
    flow: r.name as string | null,
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
  const [v] = await em.execute<{ number: number; message: string | null; graph: Graph }[]>(
    'select number, message, graph from workflow_version where definition_id = ? and number = ?',
    [definitionId, number],
  );
  return v ? { number: Number(v.number), message: v.message, graph: v.graph } : null;
}

/** Product ids for SKUs (unknown SKUs are left out). */
export async function productIdsBySku(em: EntityManager, skus: string[]): Promise<Map<string, number>> {
  if (!skus.length) return new Map();
  const rows = await em.execute<{ id: number; sku: string }[]>('select id, sku from product where sku in (?)', [skus]);
  return new Map(rows.map((r) => [r.sku, Number(r.id)]));
}
