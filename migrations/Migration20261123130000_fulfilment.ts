import { Migration } from '@mikro-orm/migrations';

export class Migration20261123130000_fulfilment extends Migration {
  override name = 'Migration20261123130000_fulfilment';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "carrier" ("id" serial primary key, "code" varchar(255) not null, "name" varchar(255) not null, "tracking_url_template" varchar(255) not null, "rules" jsonb not null, "active" boolean not null default true);`,
    );
    this.addSql(`alter table "carrier" add constraint "carrier_code_unique" unique ("code");`);

    this.addSql(
      `create table "pick_list" ("id" serial primary key, "number" varchar(255) not null, "warehouse_id" int not null, "method" text not null, "zone" varchar(255) null, "status" text not null default 'open', "created_by" varchar(255) null, "created_at" timestamptz not null, "completed_at" timestamptz null);`,
    );
    this.addSql(`alter table "pick_list" add constraint "pick_list_number_unique" unique ("number");`);

    this.addSql(
      `create table "shipment" ("id" serial primary key, "order_id" int not null, "warehouse_id" int not null, "carrier_id" int not null, "service" varchar(255) not null, "tracking_number" varchar(255) not null, "status" text not null default 'label_created', "weight_grams" int not null, "lines" jsonb not null, "created_at" timestamptz not null, "shipped_at" timestamptz null, "delivered_at" timestamptz null);`,
    );
    this.addSql(`create index "shipment_order_id_index" on "shipment" ("order_id");`);
    this.addSql(`alter table "shipment" add constraint "shipment_tracking_number_unique" unique ("tracking_number");`);

    this.addSql(
      `create table "shipment_event" ("id" serial primary key, "shipment_id" int not null, "status" text not null, "description" varchar(255) null, "location" varchar(255) null, "occurred_at" timestamptz not null, "source" varchar(255) not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "shipment_event_shipment_id_index" on "shipment_event" ("shipment_id");`);

    this.addSql(
      `create table "return_request" ("id" serial primary key, "number" varchar(255) not null, "order_id" int not null, "status" text not null default 'requested', "reason" text not null, "comment" text null, "resolution" text not null default 'refund', "lines" jsonb not null, "source" varchar(255) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "return_request" add constraint "return_request_number_unique" unique ("number");`);
    this.addSql(`create index "return_request_order_id_index" on "return_request" ("order_id");`);

    this.addSql(
      `create table "pick_list_line" ("id" serial primary key, "pick_list_id" int not null, "order_id" int not null, "line_id" int not null, "product_id" int not null, "sku" varchar(255) not null, "bin" varchar(255) null, "quantity" int not null, "picked" int not null default 0);`,
    );
    this.addSql(`create index "pick_list_line_pick_list_id_index" on "pick_list_line" ("pick_list_id");`);
    this.addSql(`create index "pick_list_line_order_id_index" on "pick_list_line" ("order_id");`);

    this.addSql(
      `create table "notification" ("id" serial primary key, "order_id" int null, "template" text not null, "locale" varchar(255) not null, "to" varchar(255) not null, "subject" varchar(255) not null, "text" text not null, "html" text not null, "status" text not null default 'queued', "attempts" int not null default 0, "error" text null, "created_at" timestamptz not null, "sent_at" timestamptz null);`,
    );
    this.addSql(`create index "notification_order_id_index" on "notification" ("order_id");`);
    this.addSql(`create index "notification_status_index" on "notification" ("status");`);
    this.addSql(`alter table "notification" add constraint "notification_order_template_unique" unique ("order_id", "template");`);

    this.addSql(`alter table "inventory_level" add "bin" varchar(255) null;`);

    this.addSql(`alter table "pick_list" add constraint "pick_list_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id");`);
    this.addSql(`alter table "pick_list" add constraint "pick_list_method_check" check ("method" in ('single', 'batch', 'zone', 'wave'));`);
    this.addSql(`alter table "pick_list" add constraint "pick_list_status_check" check ("status" in ('open', 'picking', 'picked', 'cancelled'));`);

    this.addSql(`alter table "shipment" add constraint "shipment_order_id_foreign" foreign key ("order_id") references "sales_order" ("id");`);
    this.addSql(`alter table "shipment" add constraint "shipment_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id");`);
    this.addSql(`alter table "shipment" add constraint "shipment_carrier_id_foreign" foreign key ("carrier_id") references "carrier" ("id");`);
    this.addSql(
      `alter table "shipment" add constraint "shipment_status_check" check ("status" in ('label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned'));`,
    );

    this.addSql(
      `alter table "shipment_event" add constraint "shipment_event_shipment_id_foreign" foreign key ("shipment_id") references "shipment" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "shipment_event" add constraint "shipment_event_status_check" check ("status" in ('label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned'));`,
    );

    this.addSql(`alter table "return_request" add constraint "return_request_order_id_foreign" foreign key ("order_id") references "sales_order" ("id");`);
    this.addSql(
      `alter table "return_request" add constraint "return_request_status_check" check ("status" in ('requested', 'approved', 'rejected', 'received', 'inspected', 'refunded', 'exchanged', 'closed'));`,
    );
    this.addSql(
      `alter table "return_request" add constraint "return_request_reason_check" check ("reason" in ('damaged', 'wrong_item', 'not_as_described', 'no_longer_needed', 'size_or_fit', 'other'));`,
    );
    this.addSql(`alter table "return_request" add constraint "return_request_resolution_check" check ("resolution" in ('refund', 'exchange'));`);

    this.addSql(
      `alter table "pick_list_line" add constraint "pick_list_line_pick_list_id_foreign" foreign key ("pick_list_id") references "pick_list" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "pick_list_line" add constraint "pick_list_line_order_id_foreign" foreign key ("order_id") references "sales_order" ("id");`);
    this.addSql(`alter table "pick_list_line" add constraint "pick_list_line_line_id_foreign" foreign key ("line_id") references "order_line" ("id");`);
    this.addSql(`alter table "pick_list_line" add constraint "pick_list_line_product_id_foreign" foreign key ("product_id") references "product" ("id");`);
    this.addSql(`alter table "pick_list_line" add constraint "pick_list_line_picked_le_quantity" check (picked <= quantity and picked >= 0);`);

    this.addSql(
      `alter table "notification" add constraint "notification_order_id_foreign" foreign key ("order_id") references "sales_order" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "notification" add constraint "notification_template_check" check ("template" in ('order_confirmation', 'order_shipped', 'order_delivered'));`,
    );
    this.addSql(`alter table "notification" add constraint "notification_status_check" check ("status" in ('queued', 'sent', 'failed', 'held'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "shipment" drop constraint "shipment_carrier_id_foreign";`);
    this.addSql(`alter table "pick_list_line" drop constraint "pick_list_line_pick_list_id_foreign";`);
    this.addSql(`alter table "shipment_event" drop constraint "shipment_event_shipment_id_foreign";`);

    this.addSql(`drop table if exists "carrier" cascade;`);
    this.addSql(`drop table if exists "pick_list" cascade;`);
    this.addSql(`drop table if exists "shipment" cascade;`);
    this.addSql(`drop table if exists "shipment_event" cascade;`);
    this.addSql(`drop table if exists "return_request" cascade;`);
    this.addSql(`drop table if exists "pick_list_line" cascade;`);
    this.addSql(`drop table if exists "notification" cascade;`);

    this.addSql(`alter table "inventory_level" drop column "bin";`);
  }
}
