import { Migration } from '@mikro-orm/migrations';

/**
 * Dashboard tiles take a size of the user's choosing (`sizes`: tile → s / m / l; a tile not named keeps its
 * default), customer mail gains the `recommendations` template (products bought together with theirs), and
 * the store's profile (name, logo, product pages) becomes a setting.
 */
export class Migration20261208090000_tile_sizes_and_recommendations extends Migration {
  override name = 'Migration20261208090000_tile_sizes_and_recommendations';

  override up(): void | Promise<void> {
    this.addSql(`alter table "dashboard_layout" add column "sizes" jsonb not null default '{}';`);
    this.addSql(
      `create table "store_profile" ("id" int not null, "name" varchar(200) null, "logo_url" varchar(500) null, "product_url" varchar(500) null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "notification" drop constraint "notification_template_check";`);
    this.addSql(
      `alter table "notification" add constraint "notification_template_check" check ("template" in ('order_confirmation', 'order_shipped', 'order_delivered', 'recommendations', 'staff_alert', 'purchase_order', 'purchase_order_cancelled', 'ticket_reply', 'csat_request'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`delete from "notification" where "template" = 'recommendations';`);
    this.addSql(`alter table "notification" drop constraint "notification_template_check";`);
    this.addSql(
      `alter table "notification" add constraint "notification_template_check" check ("template" in ('order_confirmation', 'order_shipped', 'order_delivered', 'staff_alert', 'purchase_order', 'purchase_order_cancelled', 'ticket_reply', 'csat_request'));`,
    );
    this.addSql(`alter table "dashboard_layout" drop column "sizes";`);
    this.addSql(`drop table if exists "store_profile";`);
  }
}
