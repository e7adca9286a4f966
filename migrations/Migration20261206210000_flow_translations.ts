import { Migration } from '@mikro-orm/migrations';

/** A flow's name and description in each language (the seeded flows come translated). */
export class Migration20261206210000_flow_translations extends Migration {
  override name = 'Migration20261206210000_flow_translations';

  override up(): void | Promise<void> {
    this.addSql(`alter table "workflow_definition" add column "translations" jsonb not null default '{}';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "workflow_definition" drop column "translations";`);
  }
}
