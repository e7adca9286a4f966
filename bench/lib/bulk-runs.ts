// Flow runs in bulk for the analytics bench: one run of a published flow for one order in four (the bench's
// orders), started when the order was placed, with a step row for each of the flow's first steps. Outcomes,
// step times and ends come from hashint4, so every run of the bench has the same data.
import type pg from 'pg';

/** Inserts the runs and their steps; returns how many of each. */
export async function seedBulkRuns(db: pg.Client, opts: { everyNth: number; steps: number }): Promise<{ runs: number; steps: number; flows: number }> {
  const { rows: versions } = await db.query<{ id: number; definition_id: number; nodes: string[] }>(
    `select v.id, v.definition_id, array(select n ->> 'id' from jsonb_array_elements(v.graph -> 'nodes') n) as nodes
       from workflow_version v join workflow_definition d on d.id = v.definition_id
      where v.id = (select max(id) from workflow_version where definition_id = d.id)
      order by v.definition_id`,
  );
  if (!versions.length) throw new Error('no published flow to run');
  // Runs: most of them complete, some fail or are undone, the last days' still run.
  const runs = await db.query(
    `insert into workflow_run (workflow_id, definition_id, version_id, trigger_type, trigger_payload, status, started_at, ended_at, entity_type, entity_id, updated_at)
     select 'bench-' || o.id, v.definition_id, v.id, 'order.created', jsonb_build_object('orderId', o.id), x.status, o.placed_at,
            case when x.status = 'running' then null else o.placed_at + (30 + abs(hashint4(o.id * 7)) % 7200) * interval '1 second' end,
            'Order', o.id::text, o.placed_at
       from sales_order o
       cross join lateral (select ($1::int[])[1 + abs(hashint4(o.id * 3)) % cardinality($1::int[])] as vid) pick
       join workflow_version v on v.id = pick.vid
       cross join lateral (select case when o.placed_at > now() - interval '1 day' and abs(hashint4(o.id)) % 10 < 6 then 'running'
                                       else (array['completed','completed','completed','completed','completed','completed','completed','completed',
                                                   'completed','completed','completed','completed','completed','completed','completed','completed',
                                                   'completed','failed','compensated','cancelled'])[1 + abs(hashint4(o.id * 11)) % 20] end as status) x
      where o.external_id like 'B-%' and o.id % $2 = 0`,
    [versions.map((v) => v.id), opts.everyNth],
  );
  // Steps: the version's first nodes, one after the other, each taking from a few ms to minutes; a failed run's last step failed.
  const steps = await db.query(
    `insert into workflow_run_step (run_id, node_id, status, visits, started_at, ended_at, compensation)
     select r.id, n.node_id,
            case when r.status in ('failed', 'compensated') and n.k = least($1::int, cardinality(n.nodes)) then 'failed'
                 when r.status = 'running' and n.k = least($1::int, cardinality(n.nodes)) then 'running'
                 when abs(hashint4(r.id * 17 + n.k)) % 25 = 0 then 'skipped' else 'done' end,
            1, r.started_at + (n.k - 1) * interval '2 seconds',
            case when r.status = 'running' and n.k = least($1::int, cardinality(n.nodes)) then null
                 else r.started_at + (n.k - 1) * interval '2 seconds' + (power(10, 1 + abs(hashint4(r.id * 5 + n.k)) % 5) * (1 + abs(hashint4(r.id + n.k)) % 9)) * interval '1 millisecond' end,
            false
       from workflow_run r
       join workflow_version v on v.id = r.version_id
       cross join lateral (select array(select e ->> 'id' from jsonb_array_elements(v.graph -> 'nodes') e) as nodes) g
       cross join lateral (select g.nodes, k, g.nodes[k] as node_id from generate_series(1, least($1::int, cardinality(g.nodes))) k) n
      where r.workflow_id like 'bench-%'`,
    [opts.steps],
  );
  return { runs: runs.rowCount ?? 0, steps: steps.rowCount ?? 0, flows: versions.length };
}
