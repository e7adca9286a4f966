import { Migration } from '@mikro-orm/migrations';

/** Wakes LISTENers (web nodes, the workflow dispatcher) when an outbox row commits. */
export class Migration20261123020000_outbox_notify extends Migration {
  override name = 'Migration20261123020000_outbox_notify';

  override up(): void {
    this.addSql(`create or replace function outbox_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('outbox', new.id::text);
        return null;
      end $$;`);
    this.addSql(`create trigger outbox_event_notify after insert on outbox_event for each row execute function outbox_notify();`);
  }

  override down(): void {
    this.addSql(`drop trigger if exists outbox_event_notify on outbox_event;`);
    this.addSql(`drop function if exists outbox_notify();`);
  }
}
