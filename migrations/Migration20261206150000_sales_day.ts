import { Migration } from '@mikro-orm/migrations';

/**
 * `sales_day`: sales per day in the business's time zone × channel × warehouse × country (the sum of the
 * day's hours), so that reports over months and years read a few hundred rows a day instead of every hour.
 * Filled for the hours already rolled up; the refresher keeps it from then on.
 */
export class Migration20261206150000_sales_day extends Migration {
  override name = 'Migration20261206150000_sales_day';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "sales_day" ("day" date not null, "channel_id" int not null, "warehouse_id" int not null, "country" varchar(2) not null, "orders" int not null, "cancelled" int not null, "units" int not null, "revenue_base_minor" bigint not null, "discount_base_minor" bigint not null, "held" int not null, "shipped" int not null, "shipped_late" int not null, "ship_seconds" bigint not null, primary key ("day", "channel_id", "warehouse_id", "country"));`,
    );
    // Hours already rolled up are marked again, so the refresher fills their days.
    this.addSql(`insert into analytics_dirty_minute (minute) select distinct hour from sales_hour on conflict do nothing;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "sales_day";`);
  }
}
