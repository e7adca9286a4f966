import { Migration } from '@mikro-orm/migrations';

export class Migration20261123110000_order_templates extends Migration {
  override name = 'Migration20261123110000_order_templates';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "order_template" ("id" serial primary key, "name" varchar(255) not null, "lines" jsonb not null, "created_by" varchar(255) null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "order_template" add constraint "order_template_name_unique" unique ("name");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "order_template" cascade;`);
  }
}
