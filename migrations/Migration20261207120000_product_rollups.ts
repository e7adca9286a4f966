import { Migration } from '@mikro-orm/migrations';

const FIGURES = `"product_id" int not null, "channel_id" int not null, "warehouse_id" int not null, "orders" int not null, "units" int not null, "revenue_base_minor" bigint not null, "cost_base_minor" bigint not null, "uncosted_units" int not null`;

/**
 * The products report's rollups and what they are made of:
 * - `order_line.unit_cost_base_minor`: what a unit cost us when the order was taken (the offer of the supplier
 *   the Reorder flow would buy from, in the base currency at that day's rate), recorded by intake. Lines from
 *   before are costed here at today's offers and rates (BASE_CURRENCY, default USD), the best there is for them;
 * - `product_hour` / `product_day`: units, revenue and cost per product × channel × warehouse, per hour (from the
 *   hour's orders) and business day (from its hours), kept by the analytics refresher from the same dirty minutes
 *   as the sales rollups; `product_day_total`: the day's per product over every channel and warehouse;
 * - `stock_day`: on hand at the close of each business day per product × warehouse (turnover, stockouts).
 * Filled by the refresher for the minutes already marked and by `npm run analytics:rebuild` for the rest.
 */
export class Migration20261207120000_product_rollups extends Migration {
  override name = 'Migration20261207120000_product_rollups';

  override up(): void | Promise<void> {
    this.addSql(`alter table "order_line" add "unit_cost_base_minor" int null;`);
    this.addSql(`create table "product_hour" ("hour" timestamptz not null, ${FIGURES}, primary key ("hour", "product_id", "channel_id", "warehouse_id"));`);
    this.addSql(`create table "product_day" ("day" date not null, ${FIGURES}, primary key ("day", "product_id", "channel_id", "warehouse_id"));`);
    this.addSql(`create index "product_day_product_id_day_index" on "product_day" ("product_id", "day");`);
    this.addSql(
      `create table "product_day_total" ("day" date not null, "product_id" int not null, "orders" int not null, "units" int not null, "revenue_base_minor" bigint not null, "cost_base_minor" bigint not null, "uncosted_units" int not null, primary key ("day", "product_id"));`,
    );
    this.addSql(`create index "product_day_total_product_id_day_index" on "product_day_total" ("product_id", "day");`);
    this.addSql(
      `create table "stock_day" ("day" date not null, "product_id" int not null, "warehouse_id" int not null, "on_hand" int not null, primary key ("day", "product_id", "warehouse_id"));`,
    );
    // Lines sold before costs were recorded: today's offer of the supplier the Reorder flow would choose (the
    // preferred one, else the cheapest active offer), at today's rate; two-decimal currencies assumed here.
    const base = (process.env.BASE_CURRENCY || 'USD').toUpperCase().replace(/[^A-Z]/g, '');
    this.addSql(
      `update "order_line" l set "unit_cost_base_minor" = c.cost
         from (select distinct on (sp.product_id) sp.product_id,
                      round(sp.unit_cost_minor * case when s.currency = '${base}' then 1 else 1 / nullif(r.rate_per_base, 0) end) as cost
                 from supplier_product sp join supplier s on s.id = sp.supplier_id and s.active left join exchange_rate r on r.currency = s.currency
                where sp.unit_cost_minor > 0 and (s.currency = '${base}' or r.rate_per_base > 0)
                order by sp.product_id, sp.preferred desc, sp.unit_cost_minor * case when s.currency = '${base}' then 1 else 1 / r.rate_per_base end,
                         coalesce(sp.lead_time_days, s.lead_time_days), s.code) c
        where c.product_id = l.product_id;`,
    );
    // Every minute with orders is rolled up again, so the refresher fills the new tables for them.
    this.addSql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "stock_day";`);
    this.addSql(`drop table if exists "product_day_total";`);
    this.addSql(`drop table if exists "product_day";`);
    this.addSql(`drop table if exists "product_hour";`);
    this.addSql(`alter table "order_line" drop column "unit_cost_base_minor";`);
  }
}
