import { Migration } from '@mikro-orm/migrations';

export class Migration20261123100000_order_core extends Migration {
  override name = 'Migration20261123100000_order_core';

  override up(): void | Promise<void> {
    this.addSql(`create sequence if not exists "order_number_seq";`);
    this.addSql(`select setval('order_number_seq', greatest(1, (select count(*) from "sales_order")), (select count(*) > 0 from "sales_order"));`);
    this.addSql(
      `create table "idempotency_record" ("id" serial primary key, "scope" varchar(255) not null, "key" varchar(255) not null, "request_hash" varchar(64) not null, "status" int not null, "body" jsonb not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "idempotency_record" add constraint "idempotency_record_scope_key_unique" unique ("scope", "key");`);

    this.addSql(
      `create table "stock_movement" ("id" bigserial primary key, "product_id" int not null, "warehouse_id" int not null, "kind" text not null, "quantity" int not null, "on_hand_after" int not null, "reason" text null, "reference" varchar(255) null, "actor_label" varchar(255) null, "at" timestamptz not null);`,
    );
    this.addSql(`create index "stock_movement_product_id_warehouse_id_index" on "stock_movement" ("product_id", "warehouse_id");`);

    this.addSql(
      `create table "payment" ("id" serial primary key, "order_id" int not null, "provider" varchar(255) not null, "method" varchar(255) not null, "currency" varchar(3) not null, "amount_minor" int not null, "authorised_minor" int not null default 0, "captured_minor" int not null default 0, "refunded_minor" int not null default 0, "status" text not null default 'pending', "provider_ref" varchar(255) null, "card_last4" varchar(4) null, "failure_code" varchar(255) null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`create index "payment_order_id_index" on "payment" ("order_id");`);

    this.addSql(
      `create table "payment_operation" ("id" serial primary key, "payment_id" int not null, "kind" text not null, "amount_minor" int not null, "idempotency_key" varchar(255) not null, "succeeded" boolean not null, "error_code" varchar(255) null, "provider_ref" varchar(255) null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "payment_operation_payment_id_index" on "payment_operation" ("payment_id");`);
    this.addSql(`alter table "payment_operation" add constraint "payment_operation_idempotency_key_unique" unique ("idempotency_key");`);

    this.addSql(
      `create table "reservation" ("id" serial primary key, "order_id" int not null, "line_id" int not null, "product_id" int not null, "warehouse_id" int not null, "quantity" int not null, "status" text not null default 'active', "created_at" timestamptz not null, "released_at" timestamptz null);`,
    );
    this.addSql(`create index "reservation_order_id_index" on "reservation" ("order_id");`);

    this.addSql(`alter table "sales_order" drop column "hold_reason";`);
    this.addSql(
      `alter table "sales_order" add "hold_reasons" text[] not null default '{}', add "delivery_method" text not null default 'standard', add "tracking_token" varchar(32) not null default replace(gen_random_uuid()::text, '-', '');`,
    );
    this.addSql(`alter table "sales_order" alter column "number" set default 'SO-' || lpad(nextval('order_number_seq')::text, 6, '0');`);
    this.addSql(`alter table "sales_order" add constraint "sales_order_tracking_token_unique" unique ("tracking_token");`);
    this.addSql(`alter table "sales_order" add constraint "sales_order_delivery_method_check" check ("delivery_method" in ('standard', 'express', 'pickup'));`);

    this.addSql(`alter table "inventory_level" add "low_stock_since" timestamptz null;`);

    this.addSql(`alter table "stock_movement" add constraint "stock_movement_product_id_foreign" foreign key ("product_id") references "product" ("id");`);
    this.addSql(
      `alter table "stock_movement" add constraint "stock_movement_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id");`,
    );
    this.addSql(
      `alter table "stock_movement" add constraint "stock_movement_kind_check" check ("kind" in ('receipt', 'cycle_count', 'damage', 'correction', 'shipment', 'return'));`,
    );

    this.addSql(`alter table "payment" add constraint "payment_order_id_foreign" foreign key ("order_id") references "sales_order" ("id") on delete cascade;`);
    this.addSql(`alter table "payment" add constraint "payment_captured_le_authorised" check (captured_minor <= greatest(authorised_minor, amount_minor));`);
    this.addSql(`alter table "payment" add constraint "payment_refunded_le_captured" check (refunded_minor <= captured_minor);`);
    this.addSql(
      `alter table "payment" add constraint "payment_status_check" check ("status" in ('pending', 'authorised', 'captured', 'partially_captured', 'partially_refunded', 'refunded', 'voided', 'failed'));`,
    );

    this.addSql(
      `alter table "payment_operation" add constraint "payment_operation_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "payment_operation" add constraint "payment_operation_kind_check" check ("kind" in ('authorise', 'capture', 'void', 'refund', 'mark_paid'));`,
    );

    this.addSql(
      `alter table "reservation" add constraint "reservation_order_id_foreign" foreign key ("order_id") references "sales_order" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "reservation" add constraint "reservation_line_id_foreign" foreign key ("line_id") references "order_line" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "reservation" add constraint "reservation_product_id_foreign" foreign key ("product_id") references "product" ("id");`);
    this.addSql(`alter table "reservation" add constraint "reservation_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id");`);
    this.addSql(`alter table "reservation" add constraint "reservation_quantity_positive" check (quantity > 0);`);
    this.addSql(`alter table "reservation" add constraint "reservation_status_check" check ("status" in ('active', 'released', 'consumed'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "payment_operation" drop constraint "payment_operation_payment_id_foreign";`);

    this.addSql(`drop table if exists "idempotency_record" cascade;`);
    this.addSql(`drop table if exists "stock_movement" cascade;`);
    this.addSql(`drop table if exists "payment" cascade;`);
    this.addSql(`drop table if exists "payment_operation" cascade;`);
    this.addSql(`drop table if exists "reservation" cascade;`);

    this.addSql(`alter table "inventory_level" drop column "low_stock_since";`);

    this.addSql(`alter table "sales_order" drop constraint "sales_order_tracking_token_unique";`);
    this.addSql(`alter table "sales_order" drop constraint "sales_order_delivery_method_check";`);
    this.addSql(`alter table "sales_order" drop column "hold_reasons", drop column "delivery_method", drop column "tracking_token";`);
    this.addSql(`alter table "sales_order" add "hold_reason" varchar(255) null;`);
    this.addSql(`alter table "sales_order" alter column "number" drop default;`);
    this.addSql(`drop sequence if exists "order_number_seq";`);
  }
}
