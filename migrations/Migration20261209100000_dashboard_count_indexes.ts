import { Migration } from '@mikro-orm/migrations';

/**
 * Partial indexes for the dashboard's live counts, which each web node computes about once a second while
 * orders flow: late orders (not shipped, by promised date), today's failed payment attempts, and flow runs
 * failed in the last 24 hours. At 1M orders these read a few hundred index entries instead of scanning.
 */
export class Migration20261209100000_dashboard_count_indexes extends Migration {
  override name = 'Migration20261209100000_dashboard_count_indexes';

  override up(): void | Promise<void> {
    this.addSql(
      `create index "sales_order_unshipped_promised_by_index" on "sales_order" ("promised_by") where "status" in ('received', 'validated', 'on_hold', 'awaiting_payment', 'paid', 'allocated', 'picking', 'packed');`,
    );
    this.addSql(`create index "payment_operation_failed_created_at_index" on "payment_operation" ("created_at") where not "succeeded";`);
    this.addSql(`create index "workflow_run_failed_ended_index" on "workflow_run" ((coalesce("ended_at", "updated_at"))) where "status" = 'failed';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "sales_order_unshipped_promised_by_index";`);
    this.addSql(`drop index if exists "payment_operation_failed_created_at_index";`);
    this.addSql(`drop index if exists "workflow_run_failed_ended_index";`);
  }
}
