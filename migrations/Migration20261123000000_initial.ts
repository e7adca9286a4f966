import { Migration } from '@mikro-orm/migrations';

export class Migration20261123000000_initial extends Migration {
  override name = 'Migration20261123000000_initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "audit_event" ("id" bigserial primary key, "at" timestamptz not null, "actor_type" text not null, "actor_id" varchar(255) null, "actor_label" varchar(255) null, "action" varchar(255) not null, "entity_type" varchar(255) not null, "entity_id" varchar(255) null, "before" jsonb null, "after" jsonb null, "ip" varchar(255) null);`,
    );
    this.addSql(`create index "audit_event_at_index" on "audit_event" ("at");`);
    this.addSql(`create index "audit_event_action_index" on "audit_event" ("action");`);
    this.addSql(`create index "audit_event_entity_type_entity_id_index" on "audit_event" ("entity_type", "entity_id");`);

    this.addSql(
      `create table "channel" ("id" serial primary key, "code" varchar(255) not null, "name" varchar(255) not null, "kind" text not null, "currencies" text[] not null, "adapter" varchar(255) null, "webhook_secret" varchar(255) null, "active" boolean not null default true);`,
    );
    this.addSql(`alter table "channel" add constraint "channel_code_unique" unique ("code");`);

    this.addSql(
      `create table "customer" ("id" serial primary key, "email" varchar(255) not null, "name" varchar(255) not null, "phone" varchar(255) null, "locale" varchar(255) not null default 'en', "tier" text not null default 'standard', "tags" text[] not null default '{}', "addresses" jsonb not null default '[]', "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "customer" add constraint "customer_email_unique" unique ("email");`);

    this.addSql(
      `create table "exchange_rate" ("currency" varchar(3) not null, "rate_per_base" numeric(18,8) not null, "updated_at" timestamptz not null, primary key ("currency"));`,
    );

    this.addSql(
      `create table "outbox_event" ("id" bigserial primary key, "topic" varchar(255) not null, "type" varchar(255) not null, "payload" jsonb not null, "created_at" timestamptz not null, "dispatched_at" timestamptz null);`,
    );
    this.addSql(`create index "outbox_event_undispatched_idx" on "outbox_event" ("dispatched_at") where "dispatched_at" is null;`);

    this.addSql(
      `create table "product" ("id" serial primary key, "sku" varchar(255) not null, "barcode" varchar(255) not null, "name" varchar(255) not null, "category" varchar(255) null, "weight_grams" int not null, "length_mm" int not null, "width_mm" int not null, "height_mm" int not null, "price_minor" int not null, "currency" varchar(3) not null, "active" boolean not null default true);`,
    );
    this.addSql(`alter table "product" add constraint "product_sku_unique" unique ("sku");`);
    this.addSql(`alter table "product" add constraint "product_barcode_unique" unique ("barcode");`);

    this.addSql(
      `create table "app_user" ("id" serial primary key, "email" varchar(255) not null, "name" varchar(255) not null, "password_hash" varchar(255) not null, "role" text not null, "locale" text not null default 'en', "active" boolean not null default true, "created_at" timestamptz not null, "last_login_at" timestamptz null);`,
    );
    this.addSql(`alter table "app_user" add constraint "app_user_email_unique" unique ("email");`);

    this.addSql(
      `create table "user_session" ("id" varchar(64) not null, "user_id" int not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "ip" varchar(255) null, "user_agent" text null, primary key ("id"));`,
    );
    this.addSql(`create index "user_session_user_id_index" on "user_session" ("user_id");`);
    this.addSql(`create index "user_session_expires_at_index" on "user_session" ("expires_at");`);

    this.addSql(
      `create table "api_key" ("id" serial primary key, "name" varchar(255) not null, "prefix" varchar(16) not null, "secret_hash" varchar(64) not null, "role" text not null, "created_by_id" int null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null);`,
    );
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);

    this.addSql(
      `create table "warehouse" ("id" serial primary key, "code" varchar(255) not null, "name" varchar(255) not null, "line1" varchar(255) not null, "city" varchar(255) not null, "postal_code" varchar(255) null, "country" varchar(2) not null, "lat" double precision not null, "lng" double precision not null, "active" boolean not null default true);`,
    );
    this.addSql(`alter table "warehouse" add constraint "warehouse_code_unique" unique ("code");`);

    this.addSql(
      `create table "sales_order" ("id" serial primary key, "number" varchar(255) not null, "channel_id" int not null, "external_id" varchar(255) not null, "customer_id" int not null, "currency" varchar(3) not null, "subtotal_minor" int not null, "shipping_minor" int not null default 0, "tax_minor" int not null default 0, "total_minor" int not null, "status" text not null, "hold_reason" varchar(255) null, "payment_method" varchar(255) not null, "shipping_address" jsonb not null, "warehouse_id" int null, "promised_by" timestamptz null, "placed_at" timestamptz not null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "sales_order" add constraint "sales_order_number_unique" unique ("number");`);
    this.addSql(`create index "sales_order_channel_id_index" on "sales_order" ("channel_id");`);
    this.addSql(`create index "sales_order_customer_id_index" on "sales_order" ("customer_id");`);
    this.addSql(`create index "sales_order_status_index" on "sales_order" ("status");`);
    this.addSql(`create index "sales_order_warehouse_id_index" on "sales_order" ("warehouse_id");`);
    this.addSql(`create index "sales_order_placed_at_index" on "sales_order" ("placed_at");`);
    this.addSql(`alter table "sales_order" add constraint "sales_order_channel_id_external_id_unique" unique ("channel_id", "external_id");`);

    this.addSql(
      `create table "order_line" ("id" serial primary key, "order_id" int not null, "product_id" int not null, "sku" varchar(255) not null, "name" varchar(255) not null, "quantity" int not null, "unit_price_minor" int not null, "total_minor" int not null);`,
    );
    this.addSql(`create index "order_line_order_id_index" on "order_line" ("order_id");`);
    this.addSql(`create index "order_line_product_id_index" on "order_line" ("product_id");`);

    this.addSql(
      `create table "inventory_level" ("id" serial primary key, "product_id" int not null, "warehouse_id" int not null, "on_hand" int not null default 0, "reserved" int not null default 0, "reorder_point" int not null default 0, "reorder_quantity" int not null default 0, "updated_at" timestamptz not null);`,
    );
    this.addSql(`create index "inventory_level_warehouse_id_index" on "inventory_level" ("warehouse_id");`);
    this.addSql(`alter table "inventory_level" add constraint "inventory_level_product_id_warehouse_id_unique" unique ("product_id", "warehouse_id");`);

    this.addSql(
      `create table "worker_heartbeat" ("id" varchar(255) not null, "task_queue" varchar(255) not null, "started_at" timestamptz not null, "seen_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "worker_heartbeat_seen_at_index" on "worker_heartbeat" ("seen_at");`);

    this.addSql(`alter table "audit_event" add constraint "audit_event_actor_type_check" check ("actor_type" in ('user', 'api_key', 'system', 'anonymous'));`);

    this.addSql(`alter table "channel" add constraint "channel_kind_check" check ("kind" in ('web', 'app', 'pos', 'marketplace', 'call_centre', 'csv'));`);

    this.addSql(`alter table "customer" add constraint "customer_tier_check" check ("tier" in ('standard', 'silver', 'gold', 'vip'));`);

    this.addSql(
      `create or replace function "outbox_event_outbox_event_notify_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', new.id::text); return null; end; \$\$ language plpgsql;`,
    );
    this.addSql(`create trigger "outbox_event_notify" AFTER INSERT on "outbox_event" for each ROW execute function "outbox_event_outbox_event_notify_fn"();`);

    this.addSql(`alter table "app_user" add constraint "app_user_role_check" check ("role" in ('admin', 'ops_manager', 'agent', 'warehouse', 'executive'));`);
    this.addSql(`alter table "app_user" add constraint "app_user_locale_check" check ("locale" in ('en', 'zh-CN', 'zh-TW'));`);

    this.addSql(
      `alter table "user_session" add constraint "user_session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "api_key" add constraint "api_key_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id") on delete set null;`,
    );
    this.addSql(`alter table "api_key" add constraint "api_key_role_check" check ("role" in ('admin', 'ops_manager', 'agent', 'warehouse', 'executive'));`);

    this.addSql(`alter table "sales_order" add constraint "sales_order_channel_id_foreign" foreign key ("channel_id") references "channel" ("id");`);
    this.addSql(`alter table "sales_order" add constraint "sales_order_customer_id_foreign" foreign key ("customer_id") references "customer" ("id");`);
    this.addSql(
      `alter table "sales_order" add constraint "sales_order_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "sales_order" add constraint "sales_order_status_check" check ("status" in ('received', 'validated', 'on_hold', 'awaiting_payment', 'paid', 'allocated', 'picking', 'packed', 'shipped', 'delivered', 'completed', 'cancelled', 'returned', 'partially_returned', 'backordered'));`,
    );

    this.addSql(
      `alter table "order_line" add constraint "order_line_order_id_foreign" foreign key ("order_id") references "sales_order" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "order_line" add constraint "order_line_product_id_foreign" foreign key ("product_id") references "product" ("id");`);
    this.addSql(`alter table "order_line" add constraint "order_line_quantity_positive" check (quantity > 0);`);

    this.addSql(`alter table "inventory_level" add constraint "inventory_level_product_id_foreign" foreign key ("product_id") references "product" ("id");`);
    this.addSql(
      `alter table "inventory_level" add constraint "inventory_level_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id");`,
    );
    this.addSql(`alter table "inventory_level" add constraint "inventory_level_reserved_le_on_hand" check (reserved <= on_hand);`);
    this.addSql(`alter table "inventory_level" add constraint "inventory_level_non_negative" check (reserved >= 0 and on_hand >= 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sales_order" drop constraint "sales_order_channel_id_foreign";`);
    this.addSql(`alter table "sales_order" drop constraint "sales_order_customer_id_foreign";`);
    this.addSql(`alter table "order_line" drop constraint "order_line_product_id_foreign";`);
    this.addSql(`alter table "inventory_level" drop constraint "inventory_level_product_id_foreign";`);
    this.addSql(`alter table "user_session" drop constraint "user_session_user_id_foreign";`);
    this.addSql(`alter table "api_key" drop constraint "api_key_created_by_id_foreign";`);
    this.addSql(`alter table "sales_order" drop constraint "sales_order_warehouse_id_foreign";`);
    this.addSql(`alter table "inventory_level" drop constraint "inventory_level_warehouse_id_foreign";`);
    this.addSql(`alter table "order_line" drop constraint "order_line_order_id_foreign";`);

    this.addSql(`drop table if exists "audit_event" cascade;`);
    this.addSql(`drop table if exists "channel" cascade;`);
    this.addSql(`drop table if exists "customer" cascade;`);
    this.addSql(`drop table if exists "exchange_rate" cascade;`);
    this.addSql(`drop trigger if exists "outbox_event_notify" on "outbox_event";`);
    this.addSql(`drop function if exists "outbox_event_outbox_event_notify_fn"();`);
    this.addSql(`drop table if exists "outbox_event" cascade;`);
    this.addSql(`drop table if exists "product" cascade;`);
    this.addSql(`drop table if exists "app_user" cascade;`);
    this.addSql(`drop table if exists "user_session" cascade;`);
    this.addSql(`drop table if exists "api_key" cascade;`);
    this.addSql(`drop table if exists "warehouse" cascade;`);
    this.addSql(`drop table if exists "sales_order" cascade;`);
    this.addSql(`drop table if exists "order_line" cascade;`);
    this.addSql(`drop table if exists "inventory_level" cascade;`);
    this.addSql(`drop table if exists "worker_heartbeat" cascade;`);
  }
}
