import { Migration } from '@mikro-orm/migrations';

/** Service desk SLA and assignment: flows can be bound to ticket events (created, SLA warning, SLA breach, solved). */
export class Migration20261206180000_sla_assignment extends Migration {
  override name = 'Migration20261206180000_sla_assignment';

  override up(): void | Promise<void> {
    this.addSql(`alter table "workflow_binding" drop constraint "workflow_binding_event_check";`);
    this.addSql(
      `alter table "workflow_binding" add constraint "workflow_binding_event_check" check ("event" in ('order.created', 'return.requested', 'stock.low', 'schedule', 'manual', 'ticket.created', 'ticket.sla_warning', 'ticket.sla_breached', 'ticket.solved'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`delete from "workflow_binding" where "event" like 'ticket.%';`);
    this.addSql(`alter table "workflow_binding" drop constraint "workflow_binding_event_check";`);
    this.addSql(
      `alter table "workflow_binding" add constraint "workflow_binding_event_check" check ("event" in ('order.created', 'return.requested', 'stock.low', 'schedule', 'manual'));`,
    );
  }
}
