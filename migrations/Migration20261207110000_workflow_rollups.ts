import { Migration } from '@mikro-orm/migrations';

/**
 * The workflow report's rollups (app/modules/analytics/workflow-rollups.server.ts):
 * - `workflow_day`: runs per business day they started × definition × version × status, with the summed
 *   milliseconds of those that ended;
 * - `workflow_step_day`: the finished steps of those runs per node and status, with summed milliseconds and
 *   a 53-bucket histogram (10 ms … 30 days) for percentiles;
 * - `workflow_dirty_minute`: the minutes in which changed runs (or runs whose steps changed) started, marked
 *   in the change's own transaction by statement triggers on workflow_run and workflow_run_step, with a
 *   NOTIFY on `analytics` so the refresher recomputes their days at once. A step's change costs one
 *   primary-key read of its run and, while the minute is already marked, no write.
 */
export class Migration20261207110000_workflow_rollups extends Migration {
  override name = 'Migration20261207110000_workflow_rollups';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "workflow_day" ("day" date not null, "definition_id" int not null, "version_id" int not null, "status" varchar(16) not null, "runs" int not null, "ended" int not null, "ms" bigint not null, primary key ("day", "definition_id", "version_id", "status"));`,
    );
    this.addSql(
      `create table "workflow_step_day" ("day" date not null, "definition_id" int not null, "version_id" int not null, "node_id" varchar(255) not null, "status" varchar(16) not null, "steps" int not null, "ms" bigint not null, "h00" int not null, "h01" int not null, "h02" int not null, "h03" int not null, "h04" int not null, "h05" int not null, "h06" int not null, "h07" int not null, "h08" int not null, "h09" int not null, "h10" int not null, "h11" int not null, "h12" int not null, "h13" int not null, "h14" int not null, "h15" int not null, "h16" int not null, "h17" int not null, "h18" int not null, "h19" int not null, "h20" int not null, "h21" int not null, "h22" int not null, "h23" int not null, "h24" int not null, "h25" int not null, "h26" int not null, "h27" int not null, "h28" int not null, "h29" int not null, "h30" int not null, "h31" int not null, "h32" int not null, "h33" int not null, "h34" int not null, "h35" int not null, "h36" int not null, "h37" int not null, "h38" int not null, "h39" int not null, "h40" int not null, "h41" int not null, "h42" int not null, "h43" int not null, "h44" int not null, "h45" int not null, "h46" int not null, "h47" int not null, "h48" int not null, "h49" int not null, "h50" int not null, "h51" int not null, "h52" int not null, "h53" int not null, primary key ("day", "definition_id", "version_id", "node_id", "status"));`,
    );
    this.addSql(`create table "workflow_dirty_minute" ("minute" timestamptz not null, primary key ("minute"));`);
    this.addSql(
      `create or replace function "workflow_run_mark_dirty_fn"() returns trigger as $$
       begin
         if tg_op = 'INSERT' then
           insert into workflow_dirty_minute (minute) select distinct date_trunc('minute', started_at) from new_rows on conflict do nothing;
         else
           insert into workflow_dirty_minute (minute)
             select date_trunc('minute', n.started_at) from new_rows n join old_rows o on o.id = n.id
              where (n.status, n.started_at, n.ended_at, n.definition_id, n.version_id) is distinct from (o.status, o.started_at, o.ended_at, o.definition_id, o.version_id)
             union
             select date_trunc('minute', o.started_at) from new_rows n join old_rows o on o.id = n.id
              where (n.status, n.started_at, n.ended_at, n.definition_id, n.version_id) is distinct from (o.status, o.started_at, o.ended_at, o.definition_id, o.version_id)
           on conflict do nothing;
         end if;
         if found then perform pg_notify('analytics', ''); end if;
         return null;
       end; $$ language plpgsql;`,
    );
    this.addSql(
      `create or replace function "workflow_run_step_mark_dirty_fn"() returns trigger as $$
       begin
         if tg_op = 'INSERT' then
           insert into workflow_dirty_minute (minute)
             select distinct date_trunc('minute', r.started_at) from workflow_run r where r.id in (select run_id from new_rows where ended_at is not null)
           on conflict do nothing;
         else
           insert into workflow_dirty_minute (minute)
             select distinct date_trunc('minute', r.started_at) from workflow_run r
              where r.id in (select n.run_id from new_rows n join old_rows o on o.id = n.id
                              where (n.status, n.started_at, n.ended_at) is distinct from (o.status, o.started_at, o.ended_at) and (n.ended_at is not null or o.ended_at is not null))
           on conflict do nothing;
         end if;
         if found then perform pg_notify('analytics', ''); end if;
         return null;
       end; $$ language plpgsql;`,
    );
    for (const [table, fn] of [
      ['workflow_run', 'workflow_run_mark_dirty_fn'],
      ['workflow_run_step', 'workflow_run_step_mark_dirty_fn'],
    ]) {
      this.addSql(
        `create trigger "${table}_dirty_insert" after insert on "${table}" referencing new table as new_rows for each statement execute function "${fn}"();`,
      );
      this.addSql(
        `create trigger "${table}_dirty_update" after update on "${table}" referencing old table as old_rows new table as new_rows for each statement execute function "${fn}"();`,
      );
    }
    // Runs from before this migration: every minute they started in is to be rolled up.
    this.addSql(`insert into workflow_dirty_minute (minute) select distinct date_trunc('minute', started_at) from workflow_run on conflict do nothing;`);
  }

  override down(): void | Promise<void> {
    for (const table of ['workflow_run', 'workflow_run_step']) {
      this.addSql(`drop trigger if exists "${table}_dirty_insert" on "${table}";`);
      this.addSql(`drop trigger if exists "${table}_dirty_update" on "${table}";`);
    }
    this.addSql(`drop function if exists "workflow_run_mark_dirty_fn"();`);
    this.addSql(`drop function if exists "workflow_run_step_mark_dirty_fn"();`);
    this.addSql(`drop table if exists "workflow_dirty_minute";`);
    this.addSql(`drop table if exists "workflow_step_day";`);
    this.addSql(`drop table if exists "workflow_day";`);
  }
}
