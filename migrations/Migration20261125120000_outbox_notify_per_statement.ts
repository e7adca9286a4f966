import { Migration } from '@mikro-orm/migrations';

/**
 * The outbox wakes its listeners once per statement instead of once per row, with an empty payload
 * (listeners never read it), so a transaction that writes many events sends one NOTIFY.
 */
export class Migration20261125120000_outbox_notify_per_statement extends Migration {
  override name = 'Migration20261125120000_outbox_notify_per_statement';

  override up(): void | Promise<void> {
    this.addSql(`drop trigger if exists "outbox_event_notify" on "outbox_event";`);
    this.addSql(
      `create or replace function "outbox_event_outbox_event_notify_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', ''); return null; end; \$\$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "outbox_event_notify" AFTER INSERT on "outbox_event" for each STATEMENT execute function "outbox_event_outbox_event_notify_fn"();`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "outbox_event_notify" on "outbox_event";`);
    this.addSql(
      `create or replace function "outbox_event_outbox_event_notify_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', new.id::text); return null; end; \$\$ language plpgsql;`,
    );
    this.addSql(`create trigger "outbox_event_notify" AFTER INSERT on "outbox_event" for each ROW execute function "outbox_event_outbox_event_notify_fn"();`);
  }
}
