import { Migration } from '@mikro-orm/migrations';

const FIGURES = `"channel_id" int not null, "warehouse_id" int not null, "country" varchar(2) not null, "orders" int not null, "cancelled" int not null, "units" int not null, "revenue_base_minor" bigint not null, "discount_base_minor" bigint not null, "held" int not null, "shipped" int not null, "shipped_late" int not null, "ship_seconds" bigint not null`;

/**
 * Analytics rollups:
 * - an order keeps its total in the base currency at its own exchange rate (`total_base_minor`; older
 *   orders are converted at the current rate when rolled up);
 * - `sales_minute` and `sales_hour`: sales per minute (recomputed from the orders of that minute) and per
 *   hour (the sum of its minutes) × channel × warehouse × country, which dashboards and reports read;
 * - `analytics_dirty_minute`: the minutes to recompute, marked in the same transaction as the order change
 *   by statement triggers (one row per minute touched, however many orders a batch writes), with a NOTIFY
 *   on `analytics` so the refresher (app/modules/analytics/rollups.server.ts) recomputes them at once.
 */
export class Migration20261206140000_analytics_rollups extends Migration {
  override name = 'Migration20261206140000_analytics_rollups';

  override up(): void | Promise<void> {
    this.addSql(`alter table "sales_order" add "total_base_minor" int null;`);
    this.addSql(`create table "analytics_dirty_minute" ("minute" timestamptz not null, primary key ("minute"));`);
    this.addSql(`create table "sales_minute" ("minute" timestamptz not null, ${FIGURES}, primary key ("minute", "channel_id", "warehouse_id", "country"));`);
    this.addSql(`create table "sales_hour" ("hour" timestamptz not null, ${FIGURES}, primary key ("hour", "channel_id", "warehouse_id", "country"));`);
    // Inserted orders mark their minute; updated ones their minute before and after (placed_at may be corrected).
    this.addSql(
      `create or replace function "sales_order_mark_dirty_fn"() returns trigger as $$
       begin
         if tg_op = 'INSERT' then
           insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from new_rows on conflict do nothing;
         else
           insert into analytics_dirty_minute (minute)
             select date_trunc('minute', placed_at) from new_rows union select date_trunc('minute', placed_at) from old_rows
           on conflict do nothing;
         end if;
         perform pg_notify('analytics', '');
         return null;
       end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "sales_order_dirty_insert" after insert on "sales_order" referencing new table as new_rows for each statement execute function "sales_order_mark_dirty_fn"();`,
    );
    this.addSql(
      `create trigger "sales_order_dirty_update" after update on "sales_order" referencing new table as new_rows old table as old_rows for each statement execute function "sales_order_mark_dirty_fn"();`,
    );
    // Orders from before this migration: every minute they fall in is to be rolled up.
    this.addSql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "sales_order_dirty_insert" on "sales_order";`);
    this.addSql(`drop trigger if exists "sales_order_dirty_update" on "sales_order";`);
    this.addSql(`drop function if exists "sales_order_mark_dirty_fn"();`);
    this.addSql(`drop table if exists "sales_hour";`);
    this.addSql(`drop table if exists "sales_minute";`);
    this.addSql(`drop table if exists "analytics_dirty_minute";`);
    this.addSql(`alter table "sales_order" drop column "total_base_minor";`);
  }
}
