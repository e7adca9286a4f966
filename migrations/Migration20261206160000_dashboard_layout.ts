import { Migration } from '@mikro-orm/migrations';

/** Each user's own dashboard: the tiles they chose, in their order (no row: the role's default). */
export class Migration20261206160000_dashboard_layout extends Migration {
  override name = 'Migration20261206160000_dashboard_layout';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "dashboard_layout" ("user_id" int not null, "tiles" jsonb not null, "updated_at" timestamptz not null, primary key ("user_id"));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "dashboard_layout";`);
  }
}
