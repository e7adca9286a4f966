import { Migration } from '@mikro-orm/migrations';

/**
 * Replacement suggestions on the tracking page over a large catalogue: active products by category
 * and name, and by name, carrying the columns the suggestion filters read (price, currency, and
 * category for the second), so each group of suggestions walks one index in its display order and
 * stops after the products it shows.
 * (On a large live table, build these by hand with `create index concurrently` before deploying.)
 */
export class Migration20261125133000_exchange_suggestion_indexes extends Migration {
  override name = 'Migration20261125133000_exchange_suggestion_indexes';

  override up(): void | Promise<void> {
    this.addSql(
      `create index "product_category_name_sku_index" on "product" ("category", "name", "sku") include ("price_minor", "currency", "id") where "active";`,
    );
    this.addSql(`create index "product_name_sku_index" on "product" ("name", "sku") include ("category", "price_minor", "currency", "id") where "active";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "product_name_sku_index";`);
    this.addSql(`drop index "product_category_name_sku_index";`);
  }
}
