import { Migration } from '@mikro-orm/migrations';

/**
 * The service desk's rollups (app/modules/analytics/service-rollups.server.ts):
 * - `service_day`: per business day × ticket channel × team × priority, tickets created, first responses and
 *   resolutions (counts, summed seconds, SLA met or missed, and a 44-bucket histogram of each time for
 *   percentiles) and CSAT ratings by stars, each counted on the day it happened;
 * - `service_agent_day`: the same per assignee too, without the histograms (the table by agent);
 * - `service_day_tag`: tickets created per day × channel × team × priority × tag (the contact reasons);
 * - `service_dirty_minute`: minutes whose tickets changed, marked in the change's own transaction by
 *   statement triggers on ticket (a change to a column the rollup reads, or to a running due time, which
 *   the dashboard's "SLA at risk" reads), csat_response and ticket_sla_event (a breach), with a NOTIFY on
 *   `analytics` so the refresher recomputes their days at once;
 * - indexes to read a day's tickets by creation, first response and resolution, and its ratings.
 */
export class Migration20261207100000_service_rollups extends Migration {
  override name = 'Migration20261207100000_service_rollups';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "service_day" ("day" date not null, "channel" varchar(16) not null, "team_id" int not null, "priority" varchar(16) not null, "created" int not null, "solved" int not null, "responded" int not null, "frt_seconds" bigint not null, "res_seconds" bigint not null, "frt_sla" int not null, "frt_sla_missed" int not null, "res_sla" int not null, "res_sla_missed" int not null, "csat1" int not null, "csat2" int not null, "csat3" int not null, "csat4" int not null, "csat5" int not null, "frt_h00" int not null, "frt_h01" int not null, "frt_h02" int not null, "frt_h03" int not null, "frt_h04" int not null, "frt_h05" int not null, "frt_h06" int not null, "frt_h07" int not null, "frt_h08" int not null, "frt_h09" int not null, "frt_h10" int not null, "frt_h11" int not null, "frt_h12" int not null, "frt_h13" int not null, "frt_h14" int not null, "frt_h15" int not null, "frt_h16" int not null, "frt_h17" int not null, "frt_h18" int not null, "frt_h19" int not null, "frt_h20" int not null, "frt_h21" int not null, "frt_h22" int not null, "frt_h23" int not null, "frt_h24" int not null, "frt_h25" int not null, "frt_h26" int not null, "frt_h27" int not null, "frt_h28" int not null, "frt_h29" int not null, "frt_h30" int not null, "frt_h31" int not null, "frt_h32" int not null, "frt_h33" int not null, "frt_h34" int not null, "frt_h35" int not null, "frt_h36" int not null, "frt_h37" int not null, "frt_h38" int not null, "frt_h39" int not null, "frt_h40" int not null, "frt_h41" int not null, "frt_h42" int not null, "frt_h43" int not null, "res_h00" int not null, "res_h01" int not null, "res_h02" int not null, "res_h03" int not null, "res_h04" int not null, "res_h05" int not null, "res_h06" int not null, "res_h07" int not null, "res_h08" int not null, "res_h09" int not null, "res_h10" int not null, "res_h11" int not null, "res_h12" int not null, "res_h13" int not null, "res_h14" int not null, "res_h15" int not null, "res_h16" int not null, "res_h17" int not null, "res_h18" int not null, "res_h19" int not null, "res_h20" int not null, "res_h21" int not null, "res_h22" int not null, "res_h23" int not null, "res_h24" int not null, "res_h25" int not null, "res_h26" int not null, "res_h27" int not null, "res_h28" int not null, "res_h29" int not null, "res_h30" int not null, "res_h31" int not null, "res_h32" int not null, "res_h33" int not null, "res_h34" int not null, "res_h35" int not null, "res_h36" int not null, "res_h37" int not null, "res_h38" int not null, "res_h39" int not null, "res_h40" int not null, "res_h41" int not null, "res_h42" int not null, "res_h43" int not null, primary key ("day", "channel", "team_id", "priority"));`,
    );
    this.addSql(
      `create table "service_agent_day" ("day" date not null, "channel" varchar(16) not null, "team_id" int not null, "priority" varchar(16) not null, "assignee_id" int not null, "created" int not null, "solved" int not null, "responded" int not null, "frt_seconds" bigint not null, "res_seconds" bigint not null, "frt_sla" int not null, "frt_sla_missed" int not null, "res_sla" int not null, "res_sla_missed" int not null, "csat1" int not null, "csat2" int not null, "csat3" int not null, "csat4" int not null, "csat5" int not null, primary key ("day", "channel", "team_id", "priority", "assignee_id"));`,
    );
    this.addSql(
      `create table "service_day_tag" ("day" date not null, "channel" varchar(16) not null, "team_id" int not null, "priority" varchar(16) not null, "tag" text not null, "tickets" int not null, primary key ("day", "channel", "team_id", "priority", "tag"));`,
    );
    this.addSql(`create table "service_dirty_minute" ("minute" timestamptz not null, primary key ("minute"));`);
    this.addSql(`create index "ticket_created_index" on "ticket" ("created_at", "id");`);
    this.addSql(`create index "ticket_first_responded_index" on "ticket" ("first_responded_at") where "first_responded_at" is not null;`);
    this.addSql(`create index "ticket_resolved_index" on "ticket" ((coalesce("solved_at", "closed_at"))) where "status" in ('solved', 'closed');`);
    this.addSql(`create index "csat_response_created_at_index" on "csat_response" ("created_at");`);
    // The minutes a ticket touches (created, first answered, solved, closed, rated), written inline in each
    // trigger function (a helper function of its own would be a routine the schema does not declare).
    const minutes = (rows: string) =>
      `select distinct date_trunc('minute', v.m) from ${rows} r
         cross join lateral (values (r.created_at), (r.first_responded_at), (r.solved_at), (r.closed_at),
                                    ((select c.created_at from csat_response c where c.ticket_id = r.id))) as v(m)
        where v.m is not null`;
    this.addSql(
      `create or replace function "service_ticket_mark_dirty_fn"() returns trigger as $$
       declare touched int := 0;
       begin
         if tg_op = 'INSERT' then
           insert into service_dirty_minute (minute) ${minutes('new_rows')} on conflict do nothing;
           touched := 1;
         elsif tg_op = 'DELETE' then
           insert into service_dirty_minute (minute) ${minutes('old_rows')} on conflict do nothing;
           touched := 1;
         else
           -- Only rows whose figures (or running due times) moved: a new message's search text or count leaves the rollup alone.
           insert into service_dirty_minute (minute)
             select distinct date_trunc('minute', v.m)
               from new_rows n join old_rows o on o.id = n.id
              cross join lateral (values (o.created_at), (o.first_responded_at), (o.solved_at), (o.closed_at),
                                         (n.created_at), (n.first_responded_at), (n.solved_at), (n.closed_at),
                                         ((select c.created_at from csat_response c where c.ticket_id = n.id))) as v(m)
              where v.m is not null
                and (n.status, n.priority, n.channel, n.team_id, n.assignee_id, n.tags, n.created_at, n.first_responded_at, n.solved_at, n.closed_at,
                     n.sla_policy_id, n.first_response_due_at, n.next_response_due_at, n.resolution_due_at)
                    is distinct from
                    (o.status, o.priority, o.channel, o.team_id, o.assignee_id, o.tags, o.created_at, o.first_responded_at, o.solved_at, o.closed_at,
                     o.sla_policy_id, o.first_response_due_at, o.next_response_due_at, o.resolution_due_at)
           on conflict do nothing;
           get diagnostics touched = row_count;
           if touched = 0 then
             -- Marked already (the refresher has yet to take the minute): still a change the dashboards should hear of.
             select count(*) into touched from new_rows n join old_rows o on o.id = n.id
              where (n.status, n.priority, n.channel, n.team_id, n.assignee_id, n.tags, n.created_at, n.first_responded_at, n.solved_at, n.closed_at,
                     n.sla_policy_id, n.first_response_due_at, n.next_response_due_at, n.resolution_due_at)
                    is distinct from
                    (o.status, o.priority, o.channel, o.team_id, o.assignee_id, o.tags, o.created_at, o.first_responded_at, o.solved_at, o.closed_at,
                     o.sla_policy_id, o.first_response_due_at, o.next_response_due_at, o.resolution_due_at);
           end if;
         end if;
         if touched > 0 then perform pg_notify('analytics', ''); end if;
         return null;
       end; $$ language plpgsql;`,
    );
    for (const op of ['insert', 'update', 'delete'] as const) {
      const tables = op === 'insert' ? 'new table as new_rows' : op === 'delete' ? 'old table as old_rows' : 'new table as new_rows old table as old_rows';
      this.addSql(
        `create trigger "ticket_service_dirty_${op}" after ${op} on "ticket" referencing ${tables} for each statement execute function "service_ticket_mark_dirty_fn"();`,
      );
    }
    // A rating counts on the day it was given: the old and new day of a changed one.
    this.addSql(
      `create or replace function "csat_response_mark_dirty_fn"() returns trigger as $$
       begin
         if tg_op in ('INSERT', 'UPDATE') then
           insert into service_dirty_minute (minute) select distinct date_trunc('minute', created_at) from new_rows on conflict do nothing;
         end if;
         if tg_op in ('UPDATE', 'DELETE') then
           insert into service_dirty_minute (minute) select distinct date_trunc('minute', created_at) from old_rows on conflict do nothing;
         end if;
         perform pg_notify('analytics', '');
         return null;
       end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "csat_response_dirty_insert" after insert on "csat_response" referencing new table as new_rows for each statement execute function "csat_response_mark_dirty_fn"();`,
    );
    this.addSql(
      `create trigger "csat_response_dirty_update" after update on "csat_response" referencing new table as new_rows old table as old_rows for each statement execute function "csat_response_mark_dirty_fn"();`,
    );
    this.addSql(
      `create trigger "csat_response_dirty_delete" after delete on "csat_response" referencing old table as old_rows for each statement execute function "csat_response_mark_dirty_fn"();`,
    );
    // A breach fired (often after the reply or solve it concerns): the days the ticket's SLA figures count on.
    this.addSql(
      `create or replace function "ticket_sla_event_mark_dirty_fn"() returns trigger as $$
       begin
         insert into service_dirty_minute (minute)
           select distinct date_trunc('minute', v.m) from ticket t
            cross join lateral (values (t.created_at), (t.first_responded_at), (t.solved_at), (t.closed_at)) as v(m)
            where t.id in (select ticket_id from new_rows where kind = 'breach') and v.m is not null
         on conflict do nothing;
         if found then perform pg_notify('analytics', ''); end if;
         return null;
       end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "ticket_sla_event_dirty_insert" after insert on "ticket_sla_event" referencing new table as new_rows for each statement execute function "ticket_sla_event_mark_dirty_fn"();`,
    );
    // Tickets from before this migration: every minute they touch is to be rolled up.
    this.addSql(`insert into service_dirty_minute (minute) ${minutes('ticket')} on conflict do nothing;`);
  }

  override down(): void | Promise<void> {
    for (const op of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists "ticket_service_dirty_${op}" on "ticket";`);
    for (const op of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists "csat_response_dirty_${op}" on "csat_response";`);
    this.addSql(`drop trigger if exists "ticket_sla_event_dirty_insert" on "ticket_sla_event";`);
    this.addSql(`drop function if exists "service_ticket_mark_dirty_fn"();`);
    this.addSql(`drop function if exists "csat_response_mark_dirty_fn"();`);
    this.addSql(`drop function if exists "ticket_sla_event_mark_dirty_fn"();`);
    this.addSql(`drop index if exists "csat_response_created_at_index";`);
    this.addSql(`drop index if exists "ticket_resolved_index";`);
    this.addSql(`drop index if exists "ticket_first_responded_index";`);
    this.addSql(`drop index if exists "ticket_created_index";`);
    this.addSql(`drop table if exists "service_dirty_minute";`);
    this.addSql(`drop table if exists "service_day_tag";`);
    this.addSql(`drop table if exists "service_agent_day";`);
    this.addSql(`drop table if exists "service_day";`);
  }
}
