import { Migration } from '@mikro-orm/migrations';

export class Migration20261123140000_purchasing extends Migration {
  override name = 'Migration20261123140000_purchasing';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "supplier" ("id" serial primary key, "code" varchar(255) not null, "name" varchar(255) not null, "email" varchar(255) not null, "currency" varchar(3) not null, "lead_time_days" int not null default 7, "active" boolean not null default true);`,
    );
    this.addSql(`alter table "supplier" add constraint "supplier_code_unique" unique ("code");`);

    this.addSql(
      `create table "purchase_order" ("id" serial primary key, "number" varchar(255) not null, "supplier_id" int not null, "warehouse_id" int not null, "status" text not null default 'draft', "currency" varchar(3) not null, "expected_at" timestamptz null, "created_by" varchar(255) null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "purchase_order" add constraint "purchase_order_number_unique" unique ("number");`);

    this.addSql(
      `create table "purchase_order_line" ("id" serial primary key, "purchase_order_id" int not null, "product_id" int not null, "quantity" int not null, "received" int not null default 0, "unit_cost_minor" int not null);`,
    );
    this.addSql(`create index "purchase_order_line_purchase_order_id_index" on "purchase_order_line" ("purchase_order_id");`);
    this.addSql(`create index "purchase_order_line_product_id_index" on "purchase_order_line" ("product_id");`);

    this.addSql(`alter table "purchase_order" add constraint "purchase_order_supplier_id_foreign" foreign key ("supplier_id") references "supplier" ("id");`);
    this.addSql(
      `alter table "purchase_order" add constraint "purchase_order_warehouse_id_foreign" foreign key ("warehouse_id") references "warehouse" ("id");`,
    );
    this.addSql(
      `alter table "purchase_order" add constraint "purchase_order_status_check" check ("status" in ('draft', 'approved', 'sent', 'partially_received', 'received', 'cancelled'));`,
    );

    this.addSql(
      `alter table "purchase_order_line" add constraint "purchase_order_line_purchase_order_id_foreign" foreign key ("purchase_order_id") references "purchase_order" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "purchase_order_line" add constraint "purchase_order_line_product_id_foreign" foreign key ("product_id") references "product" ("id");`,
    );
    this.addSql(
      `alter table "purchase_order_line" add constraint "purchase_order_line_received_le_quantity" check (received <= quantity and received >= 0 and quantity > 0);`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "purchase_order" drop constraint "purchase_order_supplier_id_foreign";`);
    this.addSql(`alter table "purchase_order_line" drop constraint "purchase_order_line_purchase_order_id_foreign";`);

    this.addSql(`drop table if exists "supplier" cascade;`);
    this.addSql(`drop table if exists "purchase_order" cascade;`);
    this.addSql(`drop table if exists "purchase_order_line" cascade;`);
  }
}
