import { Migration } from '@mikro-orm/migrations';

const FIGURES = `"orders" int not null, "units" int not null, "amount_base_minor" bigint not null, "failed" int not null`;

/**
 * The ops facets per day and per month summed over channel, warehouse and country (`ops_facet_day_total`,
 * `ops_facet_month_total`): what reports without a channel, warehouse or country filter read — a facet's key
 * has one row a day instead of one per channel × warehouse × country (175 at 1M orders). Filled here from the
 * rows there are; the refresher keeps them with the day and month rows (ops-rollups.server.ts). Likewise the
 * contact reasons per day and tag over channel, team and priority (`service_day_tag_total`).
 */
export class Migration20261209090000_report_totals extends Migration {
  override name = 'Migration20261209090000_report_totals';

  override up(): void | Promise<void> {
    for (const [table, time, from] of [
      ['ops_facet_day_total', 'day', 'ops_facet_day'],
      ['ops_facet_month_total', 'month', 'ops_facet_month'],
    ]) {
      this.addSql(
        `create table "${table}" ("facet" varchar(24) not null, "${time}" date not null, "key" varchar(255) not null, ${FIGURES}, primary key ("facet", "${time}", "key"));`,
      );
      this.addSql(
        `insert into "${table}" ("facet", "${time}", "key", "orders", "units", "amount_base_minor", "failed")
         select "facet", "${time}", "key", sum("orders"), sum("units"), sum("amount_base_minor"), sum("failed") from "${from}" group by 1, 2, 3;`,
      );
    }
    this.addSql(`create table "service_day_tag_total" ("day" date not null, "tag" text not null, "tickets" int not null, primary key ("day", "tag"));`);
    this.addSql(`insert into "service_day_tag_total" ("day", "tag", "tickets") select "day", "tag", sum("tickets") from "service_day_tag" group by 1, 2;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "ops_facet_day_total";`);
    this.addSql(`drop table if exists "ops_facet_month_total";`);
    this.addSql(`drop table if exists "service_day_tag_total";`);
  }
}
