import { Migration } from '@mikro-orm/migrations';

/**
 * Customer mail is rendered when it is sent, not in the transaction of the event it announces: the
 * queued row carries no subject or body until then, only what the caller passed for the template.
 */
export class Migration20261124190000_notification_render_at_send extends Migration {
  override name = 'Migration20261124190000_notification_render_at_send';

  override up(): void | Promise<void> {
    this.addSql(`alter table "notification" alter column "subject" drop not null, alter column "text" drop not null, alter column "html" drop not null;`);
    this.addSql(`alter table "notification" add "data" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`delete from "notification" where "subject" is null;`);
    this.addSql(`alter table "notification" drop column "data";`);
    this.addSql(`alter table "notification" alter column "subject" set not null, alter column "text" set not null, alter column "html" set not null;`);
  }
}
