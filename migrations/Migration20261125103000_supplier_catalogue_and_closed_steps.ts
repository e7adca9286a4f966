import { Migration } from '@mikro-orm/migrations';

/**
 * What each supplier sells us (unit cost, lead time, the product's preferred supplier) so that a
 * drafted purchase order goes to the right supplier; the notice withdrawing a purchase order already
 * sent; and steps that end `cancelled` or `terminated` with their run when it is ended from outside
 * the flow.
 */
export class Migration20261125103000_supplier_catalogue_and_closed_steps extends Migration {
  override name = 'Migration20261125103000_supplier_catalogue_and_closed_steps';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "supplier_product" ("id" serial primary key, "supplier_id" int not null, "product_id" int not null, "supplier_sku" varchar(255) null, "unit_cost_minor" int not null, "lead_time_days" int null, "preferred" boolean not null default false, "updated_at" timestamptz not null);`,
    );
    this.addSql(`create index "supplier_product_product_id_index" on "supplier_product" ("product_id");`);
    this.addSql(`alter table "supplier_product" add constraint "supplier_product_supplier_product_unique" unique ("supplier_id", "product_id");`);
    this.addSql(`create unique index "supplier_product_preferred_unique" on "supplier_product" ("product_id") where "preferred";`);
    this.addSql(
      `alter table "supplier_product" add constraint "supplier_product_supplier_id_foreign" foreign key ("supplier_id") references "supplier" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "supplier_product" add constraint "supplier_product_product_id_foreign" foreign key ("product_id") references "product" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "supplier_product" add constraint "supplier_product_terms_valid" check (unit_cost_minor >= 0 and (lead_time_days is null or lead_time_days >= 0));`,
    );

    this.addSql(`alter table "notification" drop constraint if exists "notification_template_check";`);
    this.addSql(
      `alter table "notification" add constraint "notification_template_check" check ("template" in ('order_confirmation', 'order_shipped', 'order_delivered', 'staff_alert', 'purchase_order', 'purchase_order_cancelled'));`,
    );

    this.addSql(`alter table "workflow_run_step" drop constraint if exists "workflow_run_step_status_check";`);
    this.addSql(
      `alter table "workflow_run_step" add constraint "workflow_run_step_status_check" check ("status" in ('waiting', 'running', 'done', 'failed', 'compensated', 'skipped', 'cancelled', 'terminated'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "workflow_run_step" drop constraint if exists "workflow_run_step_status_check";`);
    this.addSql(`update "workflow_run_step" set "status" = 'failed' where "status" in ('cancelled', 'terminated');`);
    this.addSql(
      `alter table "workflow_run_step" add constraint "workflow_run_step_status_check" check ("status" in ('waiting', 'running', 'done', 'failed', 'compensated', 'skipped'));`,
    );

    this.addSql(`alter table "notification" drop constraint if exists "notification_template_check";`);
    this.addSql(`delete from "notification" where "template" = 'purchase_order_cancelled';`);
    this.addSql(
      `alter table "notification" add constraint "notification_template_check" check ("template" in ('order_confirmation', 'order_shipped', 'order_delivered', 'staff_alert', 'purchase_order'));`,
    );

    this.addSql(`drop table if exists "supplier_product" cascade;`);
  }
}
