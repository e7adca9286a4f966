// Workflow definitions, versions and bindings against the real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../app/lib/audit.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import {
  createBinding,
  createDefinition,
  listBindings,
  listVersions,
  matchBinding,
  publish,
  rollback,
  saveDraft,
  updateBinding,
} from '../../app/modules/workflows/service.server.ts';
import type { Graph, Plan } from '../../workflows/graph.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const actor: Actor = { type: 'user', id: 2, label: 'olivia@demo.test' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
const count = async (q: string, p: unknown[] = []) => Number((await sql<{ n: string }>(q, p))[0].n);

beforeAll(async () => {
  db = await createTestDatabase('wfdef');
});
afterAll(async () => {
  await db.drop();
});

const node = (id: string, type: string, config: Record<string, unknown> = {}, y = 0) => ({ id, type, position: { x: 0, y }, data: { config } });
const edge = (source: string, handle: string, target: string) => ({ id: `${source}.${handle}->${target}`, source, sourceHandle: handle, target });

/** trigger → email → end, valid. */
const simple = (template = 'order_shipped'): Graph => ({
  nodes: [
    node('trigger', 'control.trigger', { event: 'order.created' }),
    node('email', 'notifications.email', { template }, 100),
    node('end', 'control.end', {}, 200),
  ],
  edges: [edge('trigger', 'out', 'email'), edge('email', 'ok', 'end')],
});

async function definition(key: string, graph: Graph = simple()) {
  return (await createDefinition(db.orm, { key, name: key, kind: 'order', graph }, actor)).id;
}

describe('publishing', () => {
  it('refuses an invalid draft with every error by node id, and writes nothing', async () => {
    const id = await definition('broken');
    const bad: Graph = {
      nodes: [
        node('trigger', 'control.trigger', { event: 'order.created' }),
        node('check', 'control.condition', { expression: 'total >' }),
        node('lost', 'orders.route'),
        node('wait', 'control.delay', { duration: 'soon' }),
        node('end', 'control.end'),
      ],
      edges: [edge('trigger', 'out', 'check'), edge('check', 'true', 'end'), edge('wait', 'out', 'end')],
    };
    const saved = await saveDraft(db.orm, id, bad, actor);
    expect(saved.errors.map((e) => e.field)).toContain('nodes.check');
    const before = {
      versions: await count('select count(*) as n from workflow_version'),
      audits: await count(`select count(*) as n from audit_event where action = 'workflow.published'`),
      events: await count(`select count(*) as n from outbox_event where type = 'version.published'`),
    };

    const err = await publish(db.orm, id, 'try', actor).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    const e = err as DomainError;
    expect(e.status).toBe(422);
    expect(e.code).toBe('workflow_invalid');
    const found = e.errors!.map((x) => `${x.field}:${x.code}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'nodes.check:bad_expression',
        'nodes.check:unwired_handle',
        'nodes.lost:unreachable',
        'nodes.lost:unwired_handle',
        'nodes.wait:invalid_config',
        'nodes.wait:unreachable',
      ]),
    );
    for (const x of e.errors!) expect(x.messageKey).toBe(`workflowErrors.${x.code}`);
    expect(e.errors!.find((x) => x.code === 'unwired_handle' && x.field === 'nodes.check')?.params).toMatchObject({ handle: 'false' });
    // The problem body an API would send names the same fields.
    const body = await e.toProblem().json();
    expect(body).toMatchObject({
      status: 422,
      code: 'workflow_invalid',
      errors: expect.arrayContaining([expect.objectContaining({ field: 'nodes.lost', code: 'unreachable' })]),
    });

    expect(await count('select count(*) as n from workflow_version')).toBe(before.versions);
    expect(await count(`select count(*) as n from audit_event where action = 'workflow.published'`)).toBe(before.audits);
    expect(await count(`select count(*) as n from outbox_event where type = 'version.published'`)).toBe(before.events);
  });

  it('numbers versions 1, 2, 3 and never changes a published one', async () => {
    const id = await definition('numbered');
    const v1 = await publish(db.orm, id, 'first', actor);
    expect(v1).toMatchObject({ number: 1, message: 'first', author: 'olivia@demo.test' });
    const [row1] = await sql<{ plan: Plan }>('select * from workflow_version where id = ?', [v1.id]);

    await saveDraft(db.orm, id, simple('order_delivered'), actor);
    const v2 = await publish(db.orm, id, 'second', actor);
    expect(v2.number).toBe(2);
    expect(v2.hash).not.toBe(v1.hash);
    // Editing the draft and publishing again left version 1 exactly as it was.
    await saveDraft(db.orm, id, simple('order_confirmation'), actor);
    expect((await sql('select * from workflow_version where id = ?', [v1.id]))[0]).toEqual(row1);
    expect(row1.plan.nodes.email.config).toEqual({ template: 'order_shipped' });

    // Concurrent publishes still get distinct, consecutive numbers.
    const more = await Promise.all([publish(db.orm, id, 'a', actor), publish(db.orm, id, 'b', actor)]);
    expect(more.map((v) => v.number).sort()).toEqual([3, 4]);
    expect((await listVersions(db.orm.em.fork(), id)).map((v) => v.number)).toEqual([4, 3, 2, 1]);
    expect(await count(`select count(*) as n from audit_event where action = 'workflow.published' and entity_id = ?`, [String(id)])).toBe(4);
  });

  it('rolls back by publishing an old graph as a new version', async () => {
    const id = await definition('rollback');
    const v1 = await publish(db.orm, id, null, actor);
    await saveDraft(db.orm, id, simple('order_delivered'), actor);
    const v2 = await publish(db.orm, id, null, actor);
    const v3 = await rollback(db.orm, id, 1, actor);
    expect(v3).toMatchObject({ number: 3, hash: v1.hash, message: 'Rollback to v1' });
    const [row3] = await sql<{ graph: Graph; plan: Plan }>('select graph, plan from workflow_version where id = ?', [v3.id]);
    expect(row3.plan.nodes.email.config).toEqual({ template: 'order_shipped' });
    // The draft follows, so the designer shows what now runs; v2 is untouched.
    const [def] = await sql<{ draft: Graph }>('select draft from workflow_definition where id = ?', [id]);
    expect(def.draft).toEqual(row3.graph);
    expect((await sql('select hash from workflow_version where id = ?', [v2.id]))[0].hash).toBe(v2.hash);
    expect(await count(`select count(*) as n from audit_event where action = 'workflow.rolled_back' and entity_id = ?`, [String(id)])).toBe(1);
    await expect(rollback(db.orm, id, 99, actor)).rejects.toMatchObject({ status: 404 });
  });

  it('audits a saved draft and announces the editor on the workflows topic', async () => {
    const id = await definition('presence');
    await saveDraft(db.orm, id, { ...simple(), nodes: simple().nodes.map((n) => ({ ...n, selected: true, measured: { width: 1 } })) }, actor);
    const [event] = await sql(`select topic, payload from outbox_event where type = 'draft.saved' order by id desc limit 1`);
    expect(event).toMatchObject({ topic: 'workflows', payload: { definitionId: id, key: 'presence', by: 'olivia@demo.test' } });
    expect(await count(`select count(*) as n from audit_event where action = 'workflow.draft_saved' and entity_id = ?`, [String(id)])).toBe(1);
    // React Flow's own keys are not stored.
    const [def] = await sql<{ draft: Graph }>('select draft from workflow_definition where id = ?', [id]);
    expect(Object.keys(def.draft.nodes[0]).sort()).toEqual(['data', 'id', 'position', 'type']);
    await expect(saveDraft(db.orm, id, { nodes: [{ id: 'x' }], edges: [] }, actor)).rejects.toMatchObject({ status: 422, code: 'validation_failed' });
  });
});

describe('bindings', () => {
  it('refuses a filter that does not parse, and a binding to no workflow', async () => {
    const id = await definition('bind-check');
    await expect(createBinding(db.orm, { event: 'order.created', definitionId: id, filter: 'total >' }, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'filter', code: 'bad_expression' })],
    });
    await expect(createBinding(db.orm, { event: 'order.created', definitionId: 999_999 }, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'definitionId' })],
    });
    await expect(createBinding(db.orm, { event: 'schedule', definitionId: id }, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'cron', code: 'required' })],
    });
    expect(await listBindings(db.orm.em.fork(), 'schedule')).toEqual([]);
  });

  it('matches the first active binding by priority whose filter holds, pinned to the latest version', async () => {
    await sql('delete from workflow_binding');
    const big = await definition('big-orders');
    const normal = await definition('normal-orders');
    const draftOnly = await definition('never-published');
    const off = await definition('switched-off');
    await publish(db.orm, big, 'v1', actor);
    await publish(db.orm, normal, 'v1', actor);
    await publish(db.orm, off, 'v1', actor);

    await createBinding(db.orm, { event: 'order.created', definitionId: normal, priority: 100 }, actor);
    await createBinding(db.orm, { event: 'order.created', definitionId: big, priority: 50, filter: 'totalMinor > 10000 and channel = "web"' }, actor);
    await createBinding(db.orm, { event: 'order.created', definitionId: draftOnly, priority: 10 }, actor);
    const offBinding = await createBinding(db.orm, { event: 'order.created', definitionId: off, priority: 1, active: false }, actor);
    await createBinding(db.orm, { event: 'order.created', definitionId: off, priority: 5, filter: '$number("x") > 1' }, actor); // fails to evaluate: no match
    await createBinding(db.orm, { event: 'return.requested', definitionId: big, priority: 1 }, actor);

    const em = db.orm.em.fork();
    const hit = async (payload: Record<string, unknown>) => {
      const m = await matchBinding(em, 'order.created', payload);
      return m ? { key: m.binding.definitionKey, version: m.version.number } : null;
    };
    expect(await hit({ totalMinor: 25_000, channel: 'web' })).toEqual({ key: 'big-orders', version: 1 });
    expect(await hit({ totalMinor: 25_000, channel: 'pos-nyc' })).toEqual({ key: 'normal-orders', version: 1 });
    expect(await hit({ totalMinor: 500, channel: 'web' })).toEqual({ key: 'normal-orders', version: 1 });
    expect((await listBindings(em, 'order.created')).map((b) => b.priority)).toEqual([1, 5, 10, 50, 100]);

    // A new version is what the next run gets.
    await saveDraft(db.orm, big, simple('order_delivered'), actor);
    await publish(db.orm, big, 'v2', actor);
    const m = await matchBinding(em, 'order.created', { totalMinor: 25_000, channel: 'web' });
    expect(m?.version).toMatchObject({ number: 2 });
    expect(m?.version.plan.nodes.email.config).toEqual({ template: 'order_delivered' });

    // Switching a binding on puts it first; an event nobody listens to matches nothing.
    await updateBinding(db.orm, offBinding.id, { active: true }, actor);
    expect(await hit({ totalMinor: 25_000, channel: 'web' })).toEqual({ key: 'switched-off', version: 1 });
    expect(await matchBinding(em, 'stock.low', {})).toBeNull();
    expect(await count(`select count(*) as n from audit_event where action = 'workflow.binding_updated'`)).toBe(1);
  });
});
