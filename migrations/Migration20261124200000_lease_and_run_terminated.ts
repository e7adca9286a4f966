import { Migration } from '@mikro-orm/migrations';

/**
 * The outbox dispatcher's lease (it no longer holds a transaction and an advisory lock while it calls
 * Temporal), and `terminated` runs: ended from outside the flow, as the run reconciler finds them.
 */
export class Migration20261124200000_lease_and_run_terminated extends Migration {
  override name = 'Migration20261124200000_lease_and_run_terminated';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "lease" ("name" varchar(255) not null, "holder" varchar(255) not null, "expires_at" timestamptz not null, primary key ("name"));`,
    );
    this.addSql(`alter table "workflow_run" drop constraint if exists "workflow_run_status_check";`);
    this.addSql(
      `alter table "workflow_run" add constraint "workflow_run_status_check" check ("status" in ('running', 'completed', 'failed', 'compensated', 'cancelled', 'terminated'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "lease" cascade;`);
    this.addSql(`alter table "workflow_run" drop constraint if exists "workflow_run_status_check";`);
    this.addSql(`update "workflow_run" set "status" = 'cancelled' where "status" = 'terminated';`);
    this.addSql(
      `alter table "workflow_run" add constraint "workflow_run_status_check" check ("status" in ('running', 'completed', 'failed', 'compensated', 'cancelled'));`,
    );
  }
}
