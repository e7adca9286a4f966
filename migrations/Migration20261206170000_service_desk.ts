import { Migration } from '@mikro-orm/migrations';

/** The service desk: tickets and their messages, teams, calendars, SLA policies, canned responses, macros, approval limits, CSAT. */
export class Migration20261206170000_service_desk extends Migration {
  override name = 'Migration20261206170000_service_desk';

  override up(): void | Promise<void> {
    this.addSql(`create sequence if not exists "ticket_number_seq" start with 1001;`);
    this.addSql(
      `create table "approval_limit" ("role" varchar(255) not null, "per_ticket_minor" bigint not null, "per_day_minor" bigint not null, "updated_at" timestamptz not null, primary key ("role"));`,
    );

    this.addSql(
      `create table "business_calendar" ("id" serial primary key, "name" varchar(255) not null, "time_zone" varchar(255) not null, "hours" jsonb not null, "holidays" jsonb not null default '[]', "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "business_calendar" add constraint "business_calendar_name_unique" unique ("name");`);

    this.addSql(
      `create table "canned_response" ("id" serial primary key, "name" varchar(255) not null, "bodies" jsonb not null, "tags" text[] not null default '{}', "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "canned_response" add constraint "canned_response_name_unique" unique ("name");`);

    this.addSql(
      `create table "macro" ("id" serial primary key, "name" varchar(255) not null, "inputs" jsonb not null default '[]', "actions" jsonb not null, "active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "macro" add constraint "macro_name_unique" unique ("name");`);

    this.addSql(
      `create table "sla_policy" ("id" serial primary key, "name" varchar(255) not null, "priority" text null, "channel" text null, "tier" varchar(255) null, "first_response_minutes" int not null, "next_response_minutes" int not null, "resolution_minutes" int not null, "warn_before_minutes" int not null default 30, "active" boolean not null default true, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "sla_policy" add constraint "sla_policy_name_unique" unique ("name");`);

    this.addSql(
      `create table "team" ("id" serial primary key, "name" varchar(255) not null, "calendar_id" int null, "lead_id" int null, "email" varchar(255) null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "team" add constraint "team_name_unique" unique ("name");`);
    this.addSql(`alter table "team" add constraint "team_email_unique" unique ("email");`);

    this.addSql(
      `create table "agent_profile" ("user_id" int not null, "team_id" int null, "skills" text[] not null default '{}', "capacity" int not null default 10, "available" boolean not null default true, "last_assigned_at" timestamptz null, primary key ("user_id"));`,
    );
    this.addSql(`create index "agent_profile_team_id_index" on "agent_profile" ("team_id");`);

    this.addSql(
      `create table "ticket" ("id" serial primary key, "number" varchar(255) not null default ('TK-'::text || to_char(nextval('ticket_number_seq'::regclass), 'FM999999999000000'::text)), "subject" varchar(255) not null, "status" text not null default 'new', "priority" text not null default 'normal', "channel" text not null, "language" varchar(255) not null default 'en', "requester_email" varchar(255) null, "requester_name" varchar(255) null, "customer_id" int null, "order_id" int null, "match" jsonb null, "team_id" int null, "assignee_id" int null, "tags" text[] not null default '{}', "token" varchar(32) not null, "merged_into_id" int null, "sla_policy_id" int null, "first_response_due_at" timestamptz null, "next_response_due_at" timestamptz null, "resolution_due_at" timestamptz null, "sla_paused_for" varchar(255) null, "sla_paused_at" timestamptz null, "sla_clock" jsonb null, "sla_next_check_at" timestamptz null, "first_responded_at" timestamptz null, "last_customer_message_at" timestamptz null, "last_agent_reply_at" timestamptz null, "message_count" int not null default 0, "search_text" text not null default '', "created_at" timestamptz not null, "updated_at" timestamptz not null, "solved_at" timestamptz null, "closed_at" timestamptz null);`,
    );
    this.addSql(`alter table "ticket" add constraint "ticket_number_unique" unique ("number");`);
    this.addSql(`create index "ticket_customer_id_index" on "ticket" ("customer_id");`);
    this.addSql(`create index "ticket_order_id_index" on "ticket" ("order_id");`);
    this.addSql(`alter table "ticket" add constraint "ticket_token_unique" unique ("token");`);
    this.addSql(`create index "ticket_status_updated_index" on "ticket" ("status", "updated_at", "id");`);
    this.addSql(`create index "ticket_assignee_status_index" on "ticket" ("assignee_id", "status");`);
    this.addSql(`create index "ticket_team_status_index" on "ticket" ("team_id", "status");`);
    this.addSql(`create index "ticket_updated_id_index" on "ticket" ("updated_at" desc, "id" desc);`);
    this.addSql(`create index "ticket_sla_next_check_index" on "ticket" ("sla_next_check_at") where "sla_next_check_at" is not null;`);
    this.addSql(`create index "ticket_search_index" on "ticket" using gin (to_tsvector('simple'::regconfig, "search_text"));`);

    this.addSql(
      `create table "ticket_sla_event" ("id" serial primary key, "ticket_id" int not null, "target" text not null, "kind" text not null, "due_at" timestamptz not null, "fired_at" timestamptz not null);`,
    );
    this.addSql(`alter table "ticket_sla_event" add constraint "ticket_sla_event_unique" unique ("ticket_id", "target", "kind", "due_at");`);

    this.addSql(
      `create table "ticket_presence" ("id" serial primary key, "ticket_id" int not null, "socket_id" varchar(255) not null, "user_id" int not null, "user_name" varchar(255) not null, "typing" boolean not null default false, "node" varchar(255) not null, "joined_at" timestamptz not null, "seen_at" timestamptz not null);`,
    );
    this.addSql(`create index "ticket_presence_ticket_id_index" on "ticket_presence" ("ticket_id");`);
    this.addSql(`create index "ticket_presence_node_index" on "ticket_presence" ("node");`);
    this.addSql(`create index "ticket_presence_seen_at_index" on "ticket_presence" ("seen_at");`);
    this.addSql(`alter table "ticket_presence" add constraint "ticket_presence_socket_ticket_unique" unique ("socket_id", "ticket_id");`);

    this.addSql(
      `create table "ticket_message" ("id" serial primary key, "ticket_id" int not null, "kind" text not null, "author_id" int null, "from_email" varchar(255) null, "from_name" varchar(255) null, "subject" varchar(255) null, "body" text not null, "message_id" varchar(255) null, "in_reply_to" varchar(255) null, "source" varchar(255) not null, "mentions" text[] not null default '{}', "notification_id" int null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "ticket_message" add constraint "ticket_message_message_id_unique" unique ("message_id");`);
    this.addSql(`create index "ticket_message_ticket_id_index" on "ticket_message" ("ticket_id", "id");`);

    this.addSql(
      `create table "ticket_attachment" ("id" serial primary key, "message_id" int not null, "filename" varchar(255) not null, "content_type" varchar(255) not null, "size" int not null, "sha256" varchar(64) not null, "content" bytea not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "ticket_attachment_message_id_index" on "ticket_attachment" ("message_id");`);

    this.addSql(
      `create table "macro_run" ("id" serial primary key, "key" varchar(255) not null, "ticket_id" int not null, "macro_id" int null, "actor_id" int null, "inputs" jsonb not null, "status" varchar(255) not null, "result" jsonb null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "macro_run" add constraint "macro_run_key_unique" unique ("key");`);
    this.addSql(`create index "macro_run_ticket_id_index" on "macro_run" ("ticket_id");`);

    this.addSql(
      `create table "csat_response" ("ticket_id" int not null, "rating" int not null, "comment" text null, "created_at" timestamptz not null, primary key ("ticket_id"));`,
    );

    this.addSql(`alter table "notification" drop constraint "notification_template_check";`);
    this.addSql(
      `alter table "notification" add constraint "notification_template_check" check ("template" in ('order_confirmation', 'order_shipped', 'order_delivered', 'staff_alert', 'purchase_order', 'purchase_order_cancelled', 'ticket_reply', 'csat_request'));`,
    );

    this.addSql(`alter table "sla_policy" add constraint "sla_policy_priority_check" check ("priority" in ('low', 'normal', 'high', 'urgent'));`);
    this.addSql(`alter table "sla_policy" add constraint "sla_policy_channel_check" check ("channel" in ('email', 'tracking_page', 'api', 'phone', 'flow'));`);

    this.addSql(
      `alter table "team" add constraint "team_calendar_id_foreign" foreign key ("calendar_id") references "business_calendar" ("id") on delete set null;`,
    );
    this.addSql(`alter table "team" add constraint "team_lead_id_foreign" foreign key ("lead_id") references "app_user" ("id") on delete set null;`);

    this.addSql(
      `alter table "agent_profile" add constraint "agent_profile_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "agent_profile" add constraint "agent_profile_team_id_foreign" foreign key ("team_id") references "team" ("id") on delete set null;`,
    );

    this.addSql(
      `alter table "ticket" add constraint "ticket_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete set null;`,
    );
    this.addSql(`alter table "ticket" add constraint "ticket_order_id_foreign" foreign key ("order_id") references "sales_order" ("id") on delete set null;`);
    this.addSql(`alter table "ticket" add constraint "ticket_team_id_foreign" foreign key ("team_id") references "team" ("id") on delete set null;`);
    this.addSql(
      `alter table "ticket" add constraint "ticket_assignee_id_foreign" foreign key ("assignee_id") references "app_user" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "ticket" add constraint "ticket_merged_into_id_foreign" foreign key ("merged_into_id") references "ticket" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "ticket" add constraint "ticket_sla_policy_id_foreign" foreign key ("sla_policy_id") references "sla_policy" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "ticket" add constraint "ticket_status_check" check ("status" in ('new', 'open', 'pending', 'on_hold', 'solved', 'closed', 'merged'));`,
    );
    this.addSql(`alter table "ticket" add constraint "ticket_priority_check" check ("priority" in ('low', 'normal', 'high', 'urgent'));`);
    this.addSql(`alter table "ticket" add constraint "ticket_channel_check" check ("channel" in ('email', 'tracking_page', 'api', 'phone', 'flow'));`);

    this.addSql(
      `alter table "ticket_sla_event" add constraint "ticket_sla_event_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "ticket_sla_event" add constraint "ticket_sla_event_target_check" check ("target" in ('first_response', 'next_response', 'resolution'));`,
    );
    this.addSql(`alter table "ticket_sla_event" add constraint "ticket_sla_event_kind_check" check ("kind" in ('warning', 'breach'));`);

    this.addSql(
      `alter table "ticket_presence" add constraint "ticket_presence_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "ticket_presence" add constraint "ticket_presence_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "ticket_message" add constraint "ticket_message_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "ticket_message" add constraint "ticket_message_author_id_foreign" foreign key ("author_id") references "app_user" ("id") on delete set null;`,
    );
    this.addSql(`alter table "ticket_message" add constraint "ticket_message_kind_check" check ("kind" in ('customer', 'reply', 'note'));`);

    this.addSql(
      `alter table "ticket_attachment" add constraint "ticket_attachment_message_id_foreign" foreign key ("message_id") references "ticket_message" ("id") on delete cascade;`,
    );

    this.addSql(`alter table "macro_run" add constraint "macro_run_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on delete cascade;`);
    this.addSql(`alter table "macro_run" add constraint "macro_run_macro_id_foreign" foreign key ("macro_id") references "macro" ("id") on delete set null;`);
    this.addSql(
      `alter table "macro_run" add constraint "macro_run_actor_id_foreign" foreign key ("actor_id") references "app_user" ("id") on delete set null;`,
    );

    this.addSql(
      `alter table "csat_response" add constraint "csat_response_ticket_id_foreign" foreign key ("ticket_id") references "ticket" ("id") on update cascade on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "team" drop constraint "team_calendar_id_foreign";`);
    this.addSql(`alter table "macro_run" drop constraint "macro_run_macro_id_foreign";`);
    this.addSql(`alter table "ticket" drop constraint "ticket_sla_policy_id_foreign";`);
    this.addSql(`alter table "agent_profile" drop constraint "agent_profile_team_id_foreign";`);
    this.addSql(`alter table "ticket" drop constraint "ticket_team_id_foreign";`);
    this.addSql(`alter table "ticket" drop constraint "ticket_merged_into_id_foreign";`);
    this.addSql(`alter table "ticket_sla_event" drop constraint "ticket_sla_event_ticket_id_foreign";`);
    this.addSql(`alter table "ticket_presence" drop constraint "ticket_presence_ticket_id_foreign";`);
    this.addSql(`alter table "ticket_message" drop constraint "ticket_message_ticket_id_foreign";`);
    this.addSql(`alter table "macro_run" drop constraint "macro_run_ticket_id_foreign";`);
    this.addSql(`alter table "csat_response" drop constraint "csat_response_ticket_id_foreign";`);
    this.addSql(`alter table "ticket_attachment" drop constraint "ticket_attachment_message_id_foreign";`);

    this.addSql(`drop table if exists "approval_limit" cascade;`);
    this.addSql(`drop table if exists "business_calendar" cascade;`);
    this.addSql(`drop table if exists "canned_response" cascade;`);
    this.addSql(`drop table if exists "macro" cascade;`);
    this.addSql(`drop table if exists "sla_policy" cascade;`);
    this.addSql(`drop table if exists "team" cascade;`);
    this.addSql(`drop table if exists "agent_profile" cascade;`);
    this.addSql(`drop table if exists "ticket" cascade;`);
    this.addSql(`drop table if exists "ticket_sla_event" cascade;`);
    this.addSql(`drop table if exists "ticket_presence" cascade;`);
    this.addSql(`drop table if exists "ticket_message" cascade;`);
    this.addSql(`drop table if exists "ticket_attachment" cascade;`);
    this.addSql(`drop table if exists "macro_run" cascade;`);
    this.addSql(`drop table if exists "csat_response" cascade;`);

    this.addSql(`drop sequence if exists "ticket_number_seq";`);
    this.addSql(`alter table "notification" drop constraint "notification_template_check";`);
    this.addSql(
      `alter table "notification" add constraint "notification_template_check" check ("template" in ('order_confirmation', 'order_shipped', 'order_delivered', 'staff_alert', 'purchase_order', 'purchase_order_cancelled'));`,
    );
  }
}
