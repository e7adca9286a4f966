import { Migration } from '@mikro-orm/migrations';

const COSTS = `"revenue_base_minor" bigint not null, "goods_cost_base_minor" bigint not null, "uncosted_units" int not null, "shipping_cost_base_minor" bigint not null, "parcels" int not null, "uncosted_parcels" int not null`;

/**
 * Margins:
 * - `shipment.shipping_cost_base_minor`: what the carrier charges us for the parcel, recorded by fulfilment when
 *   it ships, from the carrier rule's rate (a price per parcel and per started kilogram, in the base currency,
 *   Settings → Carriers). Parcels shipped before, or on a rule without a rate, have none (null);
 * - `order_margin`: each order's net revenue, goods cost (from its lines' recorded unit costs), shipping cost and
 *   margin; `margin_day`: their sums per business day × channel × warehouse × margin band. Kept by the analytics
 *   refresher from the same dirty minutes as the sales rollups; rebuilt by `npm run analytics:rebuild`.
 */
export class Migration20261207130000_margin_rollups extends Migration {
  override name = 'Migration20261207130000_margin_rollups';

  override up(): void | Promise<void> {
    this.addSql(`alter table "shipment" add "shipping_cost_base_minor" int null;`);
    this.addSql(
      `create table "order_margin" ("order_id" int not null, "placed_at" timestamptz not null, "day" date not null, "channel_id" int not null, "warehouse_id" int not null, ${COSTS}, "margin_base_minor" bigint not null, primary key ("order_id"));`,
    );
    this.addSql(`create index "order_margin_placed_at_index" on "order_margin" ("placed_at");`);
    this.addSql(`create index "order_margin_day_channel_id_index" on "order_margin" ("day", "channel_id");`);
    this.addSql(`create index "order_margin_margin_base_minor_index" on "order_margin" ("margin_base_minor");`);
    this.addSql(
      `create table "margin_day" ("day" date not null, "channel_id" int not null, "warehouse_id" int not null, "band" smallint not null, "orders" int not null, ${COSTS}, "incomplete" int not null, primary key ("day", "channel_id", "warehouse_id", "band"));`,
    );
    // Every minute with orders is rolled up again, so the refresher fills the new tables for them.
    this.addSql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "margin_day";`);
    this.addSql(`drop table if exists "order_margin";`);
    this.addSql(`alter table "shipment" drop column "shipping_cost_base_minor";`);
  }
}
