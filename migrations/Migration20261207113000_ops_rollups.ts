import { Migration } from '@mikro-orm/migrations';

// The histogram columns of the fulfilment rollups: per stage (received → shipped, shipped → delivered,
// received → delivered) one count per bucket of hours (app/modules/analytics/histogram.ts: 18 buckets).
const HIST = ['ship', 'transit', 'total'].flatMap((s) => Array.from({ length: 18 }, (_, k) => `"${s}_h${k}" int not null`)).join(', ');
const FULFIL = `"channel_id" int not null, "warehouse_id" int not null, "country" varchar(2) not null, "orders" int not null, "cancelled" int not null, "shipped" int not null, "ship_promised" int not null, "ship_late" int not null, "delivered" int not null, "deliver_promised" int not null, "deliver_late" int not null, "held" int not null, "pay_failed" int not null, ${HIST}`;
const FACET = `"facet" varchar(24) not null, "key" varchar(255) not null, "channel_id" int not null, "warehouse_id" int not null, "country" varchar(2) not null, "orders" int not null, "units" int not null, "amount_base_minor" bigint not null, "failed" int not null`;

/**
 * Rollups of the fulfilment, returns and payment-method reports (issue #11), kept by the same refresher as
 * the sales rollups (app/modules/analytics/ops-rollups.server.ts), from the same dirty minutes:
 * - `fulfil_minute/hour/day/month`: per time × channel × warehouse × country, of the orders placed in it: counts
 *   shipped / delivered, late against the promised date, ever held, with a failed payment, cancelled, and
 *   histograms of processing time (for percentiles);
 * - `ops_facet_minute/hour/day/month`: the same, broken down by one facet and its key: hold reason, cancel reason,
 *   payment method, SKU sold (of orders placed); return reason, resolution and SKU returned (of returns
 *   opened, by the time they were opened);
 * - `sales_order.hold_history` (every reason an order has been held for, kept by a row trigger: hold_reasons
 *   is emptied when the hold is released) and `sales_order.cancel_reason` (the reason given on cancelling);
 *   both filled from the audit trail for older orders;
 * - statement triggers on shipment (shipped / delivered), payment_operation (a failure) and return_request
 *   mark the minutes they touch, as sales_order's do; once a minute's sales rollups are recomputed it waits in
 *   `ops_dirty_minute` for these (a second transaction, so dashboards do not wait for them).
 */
export class Migration20261207113000_ops_rollups extends Migration {
  override name = 'Migration20261207113000_ops_rollups';

  override up(): void | Promise<void> {
    this.addSql(`alter table "sales_order" add column "hold_history" text[] not null default '{}', add column "cancel_reason" text null;`);
    this.addSql(
      `create or replace function "sales_order_hold_history_fn"() returns trigger as $$
       begin
         new.hold_history := array(select distinct r from unnest(coalesce(new.hold_history, '{}') || new.hold_reasons) r order by 1);
         return new;
       end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "sales_order_hold_history" before insert or update of "hold_reasons" on "sales_order" for each row when (cardinality(new.hold_reasons) > 0) execute function "sales_order_hold_history_fn"();`,
    );
    // Older orders: the reasons they were held for and cancelled with, from the audit trail.
    this.addSql(
      `update sales_order o set hold_history = h.reasons
         from (select x.id, array_agg(distinct x.r order by x.r) as reasons
                 from (select o2.id, unnest(o2.hold_reasons) as r from sales_order o2 where cardinality(o2.hold_reasons) > 0
                       union all
                       select a.entity_id::int, jsonb_array_elements_text(a.after -> 'holdReasons')
                         from audit_event a
                        where a.action in ('order.created', 'order.status_changed') and a.entity_type = 'Order' and a.entity_id ~ '^[0-9]{1,9}$'
                          and jsonb_typeof(a.after -> 'holdReasons') = 'array' and a.after -> 'holdReasons' <> '[]'::jsonb) x
                group by x.id) h
        where o.id = h.id;`,
    );
    this.addSql(
      `update sales_order o set cancel_reason = coalesce(c.reason, '')
         from (select distinct on (a.entity_id) a.entity_id::int as id, a.after ->> 'reason' as reason
                 from audit_event a
                where a.action = 'order.status_changed' and a.entity_type = 'Order' and a.entity_id ~ '^[0-9]{1,9}$' and a.after ->> 'status' = 'cancelled'
                order by a.entity_id, a.id desc) c
        where o.id = c.id and o.status = 'cancelled';`,
    );
    this.addSql(`update sales_order set cancel_reason = '' where status = 'cancelled' and cancel_reason is null;`);

    for (const [table, time, type] of [
      ['fulfil_minute', 'minute', 'timestamptz'],
      ['fulfil_hour', 'hour', 'timestamptz'],
      ['fulfil_day', 'day', 'date'],
    ])
      this.addSql(`create table "${table}" ("${time}" ${type} not null, ${FULFIL}, primary key ("${time}", "channel_id", "warehouse_id", "country"));`);
    this.addSql(
      `create table "ops_facet_minute" ("minute" timestamptz not null, ${FACET}, primary key ("minute", "facet", "key", "channel_id", "warehouse_id", "country"));`,
    );
    this.addSql(
      `create table "ops_facet_hour" ("hour" timestamptz not null, ${FACET}, primary key ("hour", "facet", "key", "channel_id", "warehouse_id", "country"));`,
    );
    // Reports read one facet over a range of days (or months): the facet leads.
    this.addSql(`create table "ops_facet_day" ("day" date not null, ${FACET}, primary key ("facet", "day", "key", "channel_id", "warehouse_id", "country"));`);
    // Months (first day), kept as the sum of their days, for reports over whole months.
    this.addSql(`create table "fulfil_month" ("month" date not null, ${FULFIL}, primary key ("month", "channel_id", "warehouse_id", "country"));`);
    this.addSql(
      `create table "ops_facet_month" ("month" date not null, ${FACET}, primary key ("facet", "month", "key", "channel_id", "warehouse_id", "country"));`,
    );
    this.addSql(`create index "return_request_created_at_index" on "return_request" ("created_at");`);
    // Minutes whose sales rollups are done and whose fulfilment rollups are still to do (the refresher's second step).
    this.addSql(`create table "ops_dirty_minute" ("minute" timestamptz not null, primary key ("minute"));`);

    // Shipped or delivered (or moved to another order): the order's minute.
    this.addSql(
      `create or replace function "shipment_mark_dirty_fn"() returns trigger as $$
       begin
         if tg_op = 'INSERT' then
           insert into analytics_dirty_minute (minute)
             select distinct date_trunc('minute', o.placed_at) from new_rows n join sales_order o on o.id = n.order_id
           on conflict do nothing;
         else
           insert into analytics_dirty_minute (minute)
             select distinct date_trunc('minute', o.placed_at)
               from new_rows n join old_rows b on b.id = n.id join sales_order o on o.id in (n.order_id, b.order_id)
              where n.shipped_at is distinct from b.shipped_at or n.delivered_at is distinct from b.delivered_at or n.order_id <> b.order_id
           on conflict do nothing;
         end if;
         if found then perform pg_notify('analytics', ''); end if;
         return null;
       end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "shipment_dirty_insert" after insert on "shipment" referencing new table as new_rows for each statement execute function "shipment_mark_dirty_fn"();`,
    );
    this.addSql(
      `create trigger "shipment_dirty_update" after update on "shipment" referencing new table as new_rows old table as old_rows for each statement execute function "shipment_mark_dirty_fn"();`,
    );
    // A failed payment attempt: its order's minute.
    this.addSql(
      `create or replace function "payment_operation_mark_dirty_fn"() returns trigger as $$
       begin
         insert into analytics_dirty_minute (minute)
           select distinct date_trunc('minute', o.placed_at) from new_rows n join payment p on p.id = n.payment_id join sales_order o on o.id = p.order_id
            where not n.succeeded
         on conflict do nothing;
         if found then perform pg_notify('analytics', ''); end if;
         return null;
       end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "payment_operation_dirty_insert" after insert on "payment_operation" referencing new table as new_rows for each statement execute function "payment_operation_mark_dirty_fn"();`,
    );
    // A return opened or changed: the minute it was opened in.
    this.addSql(
      `create or replace function "return_request_mark_dirty_fn"() returns trigger as $$
       begin
         if tg_op = 'INSERT' then
           insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', created_at) from new_rows on conflict do nothing;
         else
           insert into analytics_dirty_minute (minute)
             select date_trunc('minute', created_at) from new_rows union select date_trunc('minute', created_at) from old_rows
           on conflict do nothing;
         end if;
         if found then perform pg_notify('analytics', ''); end if;
         return null;
       end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "return_request_dirty_insert" after insert on "return_request" referencing new table as new_rows for each statement execute function "return_request_mark_dirty_fn"();`,
    );
    this.addSql(
      `create trigger "return_request_dirty_update" after update on "return_request" referencing new table as new_rows old table as old_rows for each statement execute function "return_request_mark_dirty_fn"();`,
    );
    // Everything there is, to be rolled up by the refresher.
    this.addSql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', placed_at) from sales_order on conflict do nothing;`);
    this.addSql(`insert into analytics_dirty_minute (minute) select distinct date_trunc('minute', created_at) from return_request on conflict do nothing;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "return_request_dirty_update" on "return_request";`);
    this.addSql(`drop trigger if exists "return_request_dirty_insert" on "return_request";`);
    this.addSql(`drop function if exists "return_request_mark_dirty_fn"();`);
    this.addSql(`drop trigger if exists "payment_operation_dirty_insert" on "payment_operation";`);
    this.addSql(`drop function if exists "payment_operation_mark_dirty_fn"();`);
    this.addSql(`drop trigger if exists "shipment_dirty_update" on "shipment";`);
    this.addSql(`drop trigger if exists "shipment_dirty_insert" on "shipment";`);
    this.addSql(`drop function if exists "shipment_mark_dirty_fn"();`);
    this.addSql(`drop index if exists "return_request_created_at_index";`);
    this.addSql(`drop table if exists "ops_dirty_minute";`);
    for (const t of ['ops_facet_month', 'ops_facet_day', 'ops_facet_hour', 'ops_facet_minute', 'fulfil_month', 'fulfil_day', 'fulfil_hour', 'fulfil_minute'])
      this.addSql(`drop table if exists "${t}";`);
    this.addSql(`drop trigger if exists "sales_order_hold_history" on "sales_order";`);
    this.addSql(`drop function if exists "sales_order_hold_history_fn"();`);
    this.addSql(`alter table "sales_order" drop column "hold_history", drop column "cancel_reason";`);
  }
}
