import { Migration } from '@mikro-orm/migrations';

/**
 * Customer cohorts (the customers report): `customer_month` (a customer's orders and revenue per business month,
 * with their cohort: the month of their first order not cancelled) and `customer_cohort` (their orders to date),
 * both recomputed from a customer's orders when one changes; `cohort_month` and `cohort_frequency` (per cohort:
 * customers ordering each month; customers by orders to date) are their sums. Kept by the analytics refresher
 * from the same dirty minutes as the sales rollups. Filled here from nothing: `npm run analytics:rebuild` fills
 * them for the orders already there (the refresher also gets there from the minutes marked below, more slowly).
 */
export class Migration20261207140000_customer_cohorts extends Migration {
  override name = 'Migration20261207140000_customer_cohorts';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "customer_month" ("customer_id" int not null, "month" date not null, "cohort" date not null, "orders" int not null, "revenue_base_minor" bigint not null, primary key ("customer_id", "month"));`,
    );
    this.addSql(
      `create table "customer_cohort" ("customer_id" int not null, "cohort" date not null, "first_order_at" timestamptz not null, "last_order_at" timestamptz not null, "orders" int not null, "revenue_base_minor" bigint not null, primary key ("customer_id"));`,
    );
    this.addSql(`create index "customer_cohort_revenue_index" on "customer_cohort" ("revenue_base_minor" desc, "customer_id");`);
    this.addSql(
      `create table "cohort_month" ("cohort" date not null, "month" date not null, "customers" int not null, "orders" int not null, "revenue_base_minor" bigint not null, primary key ("cohort", "month"));`,
    );
    this.addSql(
      `create table "cohort_frequency" ("cohort" date not null, "orders" smallint not null, "customers" int not null, "revenue_base_minor" bigint not null, primary key ("cohort", "orders"));`,
    );
    this.addSql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "cohort_frequency";`);
    this.addSql(`drop table if exists "cohort_month";`);
    this.addSql(`drop table if exists "customer_cohort";`);
    this.addSql(`drop table if exists "customer_month";`);
  }
}
