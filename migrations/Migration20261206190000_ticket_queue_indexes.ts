import { Migration } from '@mikro-orm/migrations';

/** The queue's SLA views and "SLA due first" sort read open tickets by their earliest running target (bench: queue page at a million tickets). */
export class Migration20261206190000_ticket_queue_indexes extends Migration {
  override name = 'Migration20261206190000_ticket_queue_indexes';

  override up(): void | Promise<void> {
    this.addSql(
      `create index "ticket_open_due_index" on "ticket" ((coalesce(least("first_response_due_at", "next_response_due_at", "resolution_due_at"), 'infinity'::timestamptz)), "id") where "status" in ('new', 'open', 'pending', 'on_hold');`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "ticket_open_due_index";`);
  }
}
