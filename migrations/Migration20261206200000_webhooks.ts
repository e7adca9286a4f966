import { Migration } from '@mikro-orm/migrations';

/** Signed outbound webhooks: endpoints, deliveries (once per endpoint and event), attempts, the SSRF allow-list, the fan-out cursor. */
export class Migration20261206200000_webhooks extends Migration {
  override name = 'Migration20261206200000_webhooks';

  override up(): void | Promise<void> {
    this.addSql(`create table "webhook_allowed_host" ("host" varchar(255) not null, "created_at" timestamptz not null, primary key ("host"));`);

    this.addSql(
      `create table "webhook_cursor" ("name" varchar(255) not null, "last_id" bigint not null, "pending_seq" bigint null, "pending_xmax" bigint null, "updated_at" timestamptz not null, primary key ("name"));`,
    );

    this.addSql(
      `create table "webhook_endpoint" ("id" serial primary key, "url" varchar(2048) not null, "description" varchar(255) null, "event_types" jsonb not null, "secret" varchar(255) not null, "previous_secret" varchar(255) null, "previous_secret_expires_at" timestamptz null, "enabled" boolean not null default true, "disabled_reason" varchar(255) null, "consecutive_failures" int not null default 0, "failing_since" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );

    this.addSql(
      `create table "webhook_delivery" ("id" bigserial primary key, "endpoint_id" int not null, "dedupe_key" varchar(255) not null, "outbox_event_id" bigint null, "event_type" varchar(255) not null, "body" text not null, "status" text not null default 'pending', "attempts" int not null default 0, "last_status_code" int null, "last_error" text null, "next_attempt_at" timestamptz null, "workflow_started_at" timestamptz null, "redelivery_of" bigint null, "created_at" timestamptz not null, "completed_at" timestamptz null);`,
    );
    this.addSql(`create index "webhook_delivery_endpoint_created_index" on "webhook_delivery" ("endpoint_id", "created_at");`);
    this.addSql(`create index "webhook_delivery_status_started_index" on "webhook_delivery" ("status", "workflow_started_at");`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_dedupe_unique" unique ("endpoint_id", "dedupe_key");`);

    this.addSql(
      `create table "webhook_attempt" ("id" bigserial primary key, "delivery_id" bigint not null, "attempt" int not null, "at" timestamptz not null, "ok" boolean not null, "status_code" int null, "latency_ms" int not null, "response_excerpt" text null, "error" text null);`,
    );
    this.addSql(`alter table "webhook_attempt" add constraint "webhook_attempt_delivery_attempt_unique" unique ("delivery_id", "attempt");`);

    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoint" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_status_check" check ("status" in ('pending', 'succeeded', 'failed', 'cancelled'));`,
    );

    this.addSql(
      `alter table "webhook_attempt" add constraint "webhook_attempt_delivery_id_foreign" foreign key ("delivery_id") references "webhook_delivery" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_endpoint_id_foreign";`);
    this.addSql(`alter table "webhook_attempt" drop constraint "webhook_attempt_delivery_id_foreign";`);

    this.addSql(`drop table if exists "webhook_allowed_host" cascade;`);
    this.addSql(`drop table if exists "webhook_cursor" cascade;`);
    this.addSql(`drop table if exists "webhook_endpoint" cascade;`);
    this.addSql(`drop table if exists "webhook_delivery" cascade;`);
    this.addSql(`drop table if exists "webhook_attempt" cascade;`);
  }
}
