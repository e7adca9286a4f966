import { Migration } from '@mikro-orm/migrations';

export class Migration20261123120000_order_discounts extends Migration {
  override name = 'Migration20261123120000_order_discounts';

  override up(): void | Promise<void> {
    this.addSql(`alter table "sales_order" add "tax_included" boolean not null default false, add "discount_minor" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sales_order" drop column "tax_included", drop column "discount_minor";`);
  }
}
