import { Migration } from '@mikro-orm/migrations';

/**
 * Hardening:
 * - an order keeps the name its buyer gave (the customer record changes only through an explicit customer
 *   update, never because an order from some channel spelt the name another way); older orders show the
 *   customer's name, as before;
 * - the API rate limit's counters (rate-limiter-flexible's Postgres schema), UNLOGGED: no WAL for a counter
 *   that may start again from zero after a crash;
 * - a return that is refused (rejected) or whose parcel never came (expired) ends there; `expired` is new;
 * - durable mail: a failed attempt's back-off and the sending lease are stored with the message, so any
 *   worker sends it, a restart loses nothing, and SMTP is called with no transaction open;
 * - an order keeps its payment gateway token, so the flow authorises the buyer's card without any card
 *   number passing through it (nor through Temporal's history);
 * - pick list numbers from a sequence (PL-261206-000123): five random hex digits collided within a busy
 *   day (one chance in six at 600 lists, seen in the chaos run), failing the transaction that made the list.
 */
export class Migration20261206110000_hardening extends Migration {
  override name = 'Migration20261206110000_hardening';

  override up(): void | Promise<void> {
    this.addSql(`alter table "sales_order" add column "customer_name" varchar(255) null, add column "payment_token" varchar(255) null;`);
    this.addSql(`create sequence if not exists "pick_list_number_seq";`);
    this.addSql(`alter table "notification" add column "next_attempt_at" timestamptz null, add column "claimed_until" timestamptz null;`);
    this.addSql(`alter table "return_request" drop constraint "return_request_status_check";`);
    this.addSql(
      `alter table "return_request" add constraint "return_request_status_check" check ("status" in ('requested', 'approved', 'rejected', 'expired', 'received', 'inspected', 'refunded', 'exchanged', 'closed'));`,
    );
    this.addSql(
      `create unlogged table "rate_limit" ("key" varchar(255) not null, "points" int not null default 0, "expire" bigint null, constraint "rate_limit_pkey" primary key ("key"));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table "rate_limit";`);
    this.addSql(`drop sequence if exists "pick_list_number_seq";`);
    this.addSql(`alter table "notification" drop column "next_attempt_at", drop column "claimed_until";`);
    this.addSql(`alter table "return_request" drop constraint "return_request_status_check";`);
    this.addSql(
      `alter table "return_request" add constraint "return_request_status_check" check ("status" in ('requested', 'approved', 'rejected', 'received', 'inspected', 'refunded', 'exchanged', 'closed'));`,
    );
    this.addSql(`alter table "sales_order" drop column "customer_name", drop column "payment_token";`);
  }
}
