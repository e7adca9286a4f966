import { Migration } from '@mikro-orm/migrations';

export class Migration20261123150000_workflows extends Migration {
  override name = 'Migration20261123150000_workflows';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "human_task" ("id" serial primary key, "key" varchar(255) not null, "workflow_id" varchar(255) not null, "node_id" varchar(255) not null, "title" varchar(255) not null, "roles" text[] not null, "status" text not null default 'open', "decided_by" varchar(255) null, "comment" text null, "created_at" timestamptz not null, "decided_at" timestamptz null, "due_at" timestamptz null, "entity_type" varchar(255) null, "entity_id" varchar(255) null);`,
    );
    this.addSql(`alter table "human_task" add constraint "human_task_key_unique" unique ("key");`);
    this.addSql(`create index "human_task_status_created_index" on "human_task" ("status", "created_at");`);
    this.addSql(`create index "human_task_workflow_node_index" on "human_task" ("workflow_id", "node_id");`);

    this.addSql(
      `create table "workflow_definition" ("id" serial primary key, "key" varchar(255) not null, "name" varchar(255) not null, "description" text null, "kind" text not null default 'other', "draft" jsonb not null, "draft_updated_at" timestamptz not null, "draft_updated_by" varchar(255) null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "workflow_definition" add constraint "workflow_definition_key_unique" unique ("key");`);

    this.addSql(
      `create table "workflow_binding" ("id" serial primary key, "event" text not null, "filter" text null, "priority" int not null default 100, "definition_id" int not null, "active" boolean not null default true, "cron" varchar(255) null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`create index "workflow_binding_definition_id_index" on "workflow_binding" ("definition_id");`);
    this.addSql(`create index "workflow_binding_event_priority_index" on "workflow_binding" ("event", "priority");`);

    this.addSql(
      `create table "workflow_version" ("id" serial primary key, "definition_id" int not null, "number" int not null, "graph" jsonb not null, "plan" jsonb not null, "hash" varchar(255) not null, "message" text null, "author" varchar(255) null, "published_at" timestamptz not null);`,
    );
    this.addSql(`create index "workflow_version_hash_index" on "workflow_version" ("hash");`);
    this.addSql(`alter table "workflow_version" add constraint "workflow_version_definition_number_unique" unique ("definition_id", "number");`);

    this.addSql(
      `create table "workflow_run" ("id" serial primary key, "workflow_id" varchar(255) not null, "definition_id" int null, "version_id" int null, "trigger_type" varchar(255) not null, "trigger_payload" jsonb not null, "status" text not null default 'running', "started_at" timestamptz not null, "ended_at" timestamptz null, "error" text null, "entity_type" varchar(255) null, "entity_id" varchar(255) null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "workflow_run" add constraint "workflow_run_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "workflow_run_definition_id_index" on "workflow_run" ("definition_id");`);
    this.addSql(`create index "workflow_run_status_index" on "workflow_run" ("status");`);
    this.addSql(`create index "workflow_run_started_at_index" on "workflow_run" ("started_at");`);
    this.addSql(`create index "workflow_run_entity_index" on "workflow_run" ("entity_type", "entity_id");`);

    this.addSql(
      `create table "workflow_run_step" ("id" serial primary key, "run_id" int not null, "node_id" varchar(255) not null, "status" text not null default 'waiting', "visits" int not null default 0, "started_at" timestamptz null, "ended_at" timestamptz null, "input_summary" jsonb null, "output_summary" jsonb null, "error" text null, "compensation" boolean not null default false);`,
    );
    this.addSql(`alter table "workflow_run_step" add constraint "workflow_run_step_run_node_unique" unique ("run_id", "node_id");`);

    this.addSql(
      `alter table "human_task" add constraint "human_task_status_check" check ("status" in ('open', 'approved', 'rejected', 'timed_out', 'cancelled'));`,
    );

    this.addSql(`alter table "workflow_definition" add constraint "workflow_definition_kind_check" check ("kind" in ('order', 'return', 'reorder', 'other'));`);

    this.addSql(
      `alter table "workflow_binding" add constraint "workflow_binding_definition_id_foreign" foreign key ("definition_id") references "workflow_definition" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "workflow_binding" add constraint "workflow_binding_event_check" check ("event" in ('order.created', 'return.requested', 'stock.low', 'schedule', 'manual'));`,
    );

    this.addSql(
      `alter table "workflow_version" add constraint "workflow_version_definition_id_foreign" foreign key ("definition_id") references "workflow_definition" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "workflow_run" add constraint "workflow_run_definition_id_foreign" foreign key ("definition_id") references "workflow_definition" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "workflow_run" add constraint "workflow_run_version_id_foreign" foreign key ("version_id") references "workflow_version" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "workflow_run" add constraint "workflow_run_status_check" check ("status" in ('running', 'completed', 'failed', 'compensated', 'cancelled'));`,
    );

    this.addSql(
      `alter table "workflow_run_step" add constraint "workflow_run_step_run_id_foreign" foreign key ("run_id") references "workflow_run" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "workflow_run_step" add constraint "workflow_run_step_status_check" check ("status" in ('waiting', 'running', 'done', 'failed', 'compensated', 'skipped'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "workflow_binding" drop constraint "workflow_binding_definition_id_foreign";`);
    this.addSql(`alter table "workflow_version" drop constraint "workflow_version_definition_id_foreign";`);
    this.addSql(`alter table "workflow_run" drop constraint "workflow_run_definition_id_foreign";`);
    this.addSql(`alter table "workflow_run" drop constraint "workflow_run_version_id_foreign";`);
    this.addSql(`alter table "workflow_run_step" drop constraint "workflow_run_step_run_id_foreign";`);

    this.addSql(`drop table if exists "human_task" cascade;`);
    this.addSql(`drop table if exists "workflow_definition" cascade;`);
    this.addSql(`drop table if exists "workflow_binding" cascade;`);
    this.addSql(`drop table if exists "workflow_version" cascade;`);
    this.addSql(`drop table if exists "workflow_run" cascade;`);
    this.addSql(`drop table if exists "workflow_run_step" cascade;`);
  }
}
