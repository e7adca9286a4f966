import { Migration } from '@mikro-orm/migrations';

/**
 * The order list over hundreds of thousands of orders: composite indexes that lead with each filter
 * and then walk the default sort (placed_at, id), trigram indexes for text search, and each
 * warehouse's picking method for the orders list's "print pick lists"; order numbers that keep going past
 * SO-999999.
 * (On a large live table, build these by hand with `create index concurrently` before deploying.)
 */
export class Migration20261124173000_order_list_and_picking extends Migration {
  override name = 'Migration20261124173000_order_list_and_picking';

  override up(): void | Promise<void> {
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`drop index "sales_order_placed_at_index";`);
    this.addSql(`drop index "sales_order_status_index";`);
    this.addSql(`drop index "sales_order_channel_id_index";`);
    this.addSql(`drop index "sales_order_customer_id_index";`);
    this.addSql(`create index "sales_order_placed_at_id_index" on "sales_order" ("placed_at", "id");`);
    this.addSql(`create index "sales_order_status_placed_at_id_index" on "sales_order" ("status", "placed_at", "id");`);
    this.addSql(`create index "sales_order_channel_placed_at_id_index" on "sales_order" ("channel_id", "placed_at", "id");`);
    this.addSql(`create index "sales_order_customer_placed_at_id_index" on "sales_order" ("customer_id", "placed_at", "id");`);
    this.addSql(`create index "sales_order_total_minor_id_index" on "sales_order" ("total_minor", "id");`);
    this.addSql(`create index "sales_order_search_trgm_index" on "sales_order" using gin ("number" gin_trgm_ops, "external_id" gin_trgm_ops);`);
    this.addSql(`create index "customer_search_trgm_index" on "customer" using gin ("name" gin_trgm_ops, "email" gin_trgm_ops);`);
    this.addSql(`alter table "warehouse" add "pick_method" text not null default 'single', add "pick_batch_size" int not null default 10;`);
    this.addSql(`alter table "warehouse" add constraint "warehouse_pick_method_check" check ("pick_method" in ('single', 'batch', 'zone', 'wave'));`);
    // Order numbers past SO-999999: lpad cut them to six digits (the millionth order repeated SO-100000).
    this.addSql(`alter table "sales_order" alter column "number" set default 'SO-' || to_char(nextval('order_number_seq'), 'FM999999999000000');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sales_order" alter column "number" set default 'SO-' || lpad(nextval('order_number_seq')::text, 6, '0');`);
    this.addSql(`alter table "warehouse" drop column "pick_method", drop column "pick_batch_size";`);
    this.addSql(`drop index "customer_search_trgm_index";`);
    this.addSql(`drop index "sales_order_search_trgm_index";`);
    this.addSql(`drop index "sales_order_total_minor_id_index";`);
    this.addSql(`drop index "sales_order_customer_placed_at_id_index";`);
    this.addSql(`drop index "sales_order_channel_placed_at_id_index";`);
    this.addSql(`drop index "sales_order_status_placed_at_id_index";`);
    this.addSql(`drop index "sales_order_placed_at_id_index";`);
    this.addSql(`create index "sales_order_placed_at_index" on "sales_order" ("placed_at");`);
    this.addSql(`create index "sales_order_status_index" on "sales_order" ("status");`);
    this.addSql(`create index "sales_order_channel_id_index" on "sales_order" ("channel_id");`);
    this.addSql(`create index "sales_order_customer_id_index" on "sales_order" ("customer_id");`);
  }
}
