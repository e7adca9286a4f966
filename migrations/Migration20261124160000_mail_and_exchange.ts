import { Migration } from '@mikro-orm/migrations';

/**
 * Staff alert and purchase-order mail go through the notification outbox (one row per idempotency
 * key), suppliers are written to in their own language, and an exchange's replacement order is
 * linked from its return.
 */
export class Migration20261124160000_mail_and_exchange extends Migration {
  override name = 'Migration20261124160000_mail_and_exchange';

  override up(): void | Promise<void> {
    this.addSql(`alter table "notification" drop constraint "notification_template_check";`);
    this.addSql(`alter table "notification" add "idempotency_key" varchar(255) null;`);
    this.addSql(`alter table "notification" add constraint "notification_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(
      `alter table "notification" add constraint "notification_template_check" check ("template" in ('order_confirmation', 'order_shipped', 'order_delivered', 'staff_alert', 'purchase_order'));`,
    );

    this.addSql(`alter table "supplier" add "locale" text not null default 'en';`);
    this.addSql(`alter table "supplier" add constraint "supplier_locale_check" check ("locale" in ('en', 'zh-CN', 'zh-TW'));`);

    this.addSql(`alter table "return_request" add "replacement_order_id" int null;`);
    this.addSql(
      `alter table "return_request" add constraint "return_request_replacement_order_id_foreign" foreign key ("replacement_order_id") references "sales_order" ("id") on delete set null;`,
    );
    this.addSql(`create index "return_request_replacement_order_id_index" on "return_request" ("replacement_order_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "return_request" drop constraint "return_request_replacement_order_id_foreign";`);
    this.addSql(`drop index "return_request_replacement_order_id_index";`);
    this.addSql(`alter table "return_request" drop column "replacement_order_id";`);

    this.addSql(`alter table "supplier" drop constraint "supplier_locale_check";`);
    this.addSql(`alter table "supplier" drop column "locale";`);

    this.addSql(`delete from "notification" where "template" in ('staff_alert', 'purchase_order');`);
    this.addSql(`alter table "notification" drop constraint "notification_template_check";`);
    this.addSql(`alter table "notification" drop constraint "notification_idempotency_key_unique";`);
    this.addSql(`alter table "notification" drop column "idempotency_key";`);
    this.addSql(
      `alter table "notification" add constraint "notification_template_check" check ("template" in ('order_confirmation', 'order_shipped', 'order_delivered'));`,
    );
  }
}
