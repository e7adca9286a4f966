// Bulk orders for the benchmarks that need a large history (orders-list, analytics): customers, orders over
// `days` days with statuses by age, 1–3 lines each, reservations by status and, when asked, a parcel for every
// shipped order and addresses in several countries, and (`opsFacts`) what the fulfilment and returns reports
// count: payment methods, failed payment attempts, cancel reasons and returns. Deterministic (hashint4), so
// every run has the same data.
import type pg from 'pg';

const FIRST = [
  'Anna',
  'Ben',
  'Chloe',
  'David',
  'Emma',
  'Felix',
  'Grace',
  'Hugo',
  'Isla',
  'Jack',
  'Kira',
  'Liam',
  'Mia',
  'Noah',
  'Olivia',
  'Paul',
  'Quinn',
  'Rosa',
  'Sam',
  'Tara',
  'Uma',
  'Victor',
  'Wen',
  'Xavier',
  'Yara',
  'Zoe',
  'Wei',
  'Li',
  'Mei',
  'Jun',
  'Hana',
  'Kenji',
  'Sofia',
  'Mateo',
  'Lucas',
  'Amir',
  'Leila',
  'Omar',
  'Nina',
  'Ivan',
];
const LAST = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Scott',
  'Torres',
  'Nguyen',
  'Hill',
  'Flores',
  'Green',
  'Adams',
  'Nelson',
  'Baker',
  'Hall',
  'Rivera',
  'Campbell',
  'Mitchell',
  'Carter',
  'Roberts',
  'Wang',
  'Zhang',
  'Chen',
  'Liu',
  'Huang',
  'Zhao',
  'Wu',
  'Zhou',
  'Lin',
  'Kowalski',
];

/** Orders, customers, lines and reservations in bulk; deterministic (hashint4), so every run has the same data. */
export async function seedBulkOrders(
  db: pg.Client,
  opts: {
    orders: number;
    days: number;
    shipments?: boolean;
    countries?: boolean;
    opsFacts?: boolean;
    /** Lines per order, fewest and most (default 1 to 3). */ lines?: [number, number];
  },
) {
  const [fewest, most] = opts.lines ?? [1, 3];
  const ORDERS = opts.orders;
  const { rows: channels } = await db.query<{ id: number; code: string }>('select id, code from channel order by id');
  const { rows: warehouses } = await db.query<{ id: number; code: string }>('select id, code from warehouse order by id');
  const {
    rows: [{ products }],
  } = await db.query<{ products: number[] }>('select array_agg(id order by id) as products from product');
  const weighted = <T extends { code: string; id: number }>(xs: T[], weights: Record<string, number>, extra: number[] = []) => [
    ...xs.flatMap((x) => Array(weights[x.code] ?? 1).fill(x.id)),
    ...extra,
  ];
  const channelIds = weighted(channels, { web: 40, app: 25, 'pos-nyc': 10, tmall: 10, momo: 5, 'call-centre': 5, csv: 5 });
  const warehouseIds = weighted(warehouses, { EWR: 45, RNO: 30, SHA: 15, TPE: 7 }, [0, 0, 0]); // 0: split over two warehouses
  const customers = Math.max(100, Math.round(ORDERS / 5));
  await db.query(
    `insert into customer (email, name, phone, locale, tier, tags, addresses, created_at)
     select lower(x.first) || '.' || lower(x.last) || i || '@bench.example', x.first || ' ' || x.last, null, 'en', 'standard', '{}', '[]', now() - (i % 700) * interval '1 day'
       from generate_series(1, $1::int) i
       cross join lateral (select ($2::text[])[1 + abs(hashint4(i)) % cardinality($2::text[])] as first, ($3::text[])[1 + abs(hashint4(i + 7919)) % cardinality($3::text[])] as last) x`,
    [customers, FIRST, LAST],
  );
  const {
    rows: [c],
  } = await db.query<{ min: number; n: number }>(`select min(id) as min, count(*)::int as n from customer where email like '%@bench.example'`);
  // Status by age: the last two days in flight, the next eight mostly on their way, older ones closed.
  await db.query(
    `insert into sales_order (channel_id, external_id, customer_id, currency, subtotal_minor, shipping_minor, tax_minor, total_minor, status, hold_reasons,
                              payment_method, delivery_method, shipping_address, warehouse_id, promised_by, placed_at, created_at, updated_at, cancel_reason)
     select x.channel_id, 'B-' || lpad(i::text, 9, '0'), $4::int + abs(hashint4(i * 5 + 1)) % $5::int, 'USD', x.total, 0, 0, x.total, x.status,
            case when x.status = 'on_hold' then '{high_value}'::text[] else '{}'::text[] end,
            case when $8::bool then (array['card', 'card', 'card', 'paypal', 'bank_transfer', 'cash_on_delivery'])[1 + abs(hashint4(i * 23)) % 6] else 'test-card' end, 'standard',
            case when $7::bool then jsonb_build_object('line1', '1 Main St', 'city', 'Bench', 'country', (array['US', 'US', 'US', 'CN', 'TW', 'DE', 'GB'])[1 + abs(hashint4(i * 13)) % 7])
                 else '{"line1":"1 Beacon St","city":"Boston","country":"US","lat":42.36,"lng":-71.06}'::jsonb end, nullif(x.warehouse_id, 0), x.placed + interval '5 days', x.placed, x.placed, x.placed,
            case when x.status = 'cancelled' then case when $8::bool then (array['customer changed mind', 'fraud suspected', 'out of stock', ''])[1 + abs(hashint4(i * 29)) % 4] else '' end end
       from generate_series(1, $1::int) i
       cross join lateral (
         select date_trunc('second', now() - ($1::int - i)::float8 / $1::int * ($6::int * interval '1 day')) as placed,
                ($2::int[])[1 + abs(hashint4(i * 3)) % cardinality($2::int[])] as channel_id,
                ($3::int[])[1 + abs(hashint4(i * 17)) % cardinality($3::int[])] as warehouse_id,
                500 + abs(hashint4(i * 11)) % 50000 as total,
                ($1::int - i)::float8 / $1::int * $6::int as age, abs(hashint4(i * 7)) % 100 as r) y
       cross join lateral (select y.*, case
         when y.age < 2 then case when y.r < 3 then 'received' when y.r < 5 then 'validated' when y.r < 25 then 'awaiting_payment' when y.r < 30 then 'on_hold'
                                  when y.r < 45 then 'paid' when y.r < 55 then 'allocated' when y.r < 70 then 'picking' when y.r < 80 then 'packed' when y.r < 95 then 'shipped' else 'cancelled' end
         when y.age < 10 then case when y.r < 40 then 'shipped' when y.r < 90 then 'delivered' when y.r < 95 then 'cancelled' when y.r < 96 then 'on_hold' else 'awaiting_payment' end
         else case when y.r < 88 then 'completed' when y.r < 90 then 'delivered' when y.r < 95 then 'cancelled' when y.r < 98 then 'returned' else 'partially_returned' end
       end as status) x`,
    [ORDERS, channelIds, warehouseIds, c.min, c.n, opts.days, !!opts.countries, !!opts.opsFacts],
  );
  await db.query(
    `insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor)
     select o.id, p.id, p.sku, p.name, 1 + k % 2, 1000, 1000 * (1 + k % 2)
       from sales_order o
       cross join lateral generate_series(1, $2::int + abs(hashint4(o.id)) % ($3::int - $2::int + 1)) k
       join product p on p.id = ($1::int[])[1 + abs(hashint4(o.id * 31 + k)) % cardinality($1::int[])]
      where o.external_id like 'B-%'`,
    [products, fewest, most],
  );
  const [ewr, rno] = [warehouses.find((w) => w.code === 'EWR')!.id, warehouses.find((w) => w.code === 'RNO')!.id];
  await db.query(
    `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at)
     select l.order_id, l.id, l.product_id, coalesce(o.warehouse_id, case when l.id % 2 = 0 then $1::int else $2::int end), l.quantity,
            case when o.status in ('shipped', 'delivered', 'completed', 'returned', 'partially_returned') then 'consumed' when o.status = 'cancelled' then 'released' else 'active' end,
            o.placed_at
       from order_line l join sales_order o on o.id = l.order_id
      where o.external_id like 'B-%' and o.status not in ('received', 'validated')`,
    [ewr, rno],
  );
  if (opts.shipments) {
    // Shipped orders have their parcel: from their warehouse (EWR when split), half a day to three after the order.
    const {
      rows: [carrier],
    } = await db.query<{ id: number }>('select min(id) as id from carrier');
    await db.query(
      `insert into shipment (order_id, warehouse_id, carrier_id, service, tracking_number, status, weight_grams, lines, created_at, shipped_at, delivered_at)
       select o.id, coalesce(o.warehouse_id, $1::int), $2::int, 'ground', 'BENCH' || o.id, 'delivered', 500, '[]', s.at, s.at, s.at + interval '2 days'
         from sales_order o
         cross join lateral (select o.placed_at + (12 + abs(hashint4(o.id * 19)) % 60) * interval '1 hour' as at) s
        where o.external_id like 'B-%' and o.status in ('shipped', 'delivered', 'completed', 'returned', 'partially_returned')`,
      [ewr, carrier.id],
    );
  }
  if (opts.opsFacts) {
    // One order in 25 had a declined card first (a failed payment and its attempt), at the time it was placed.
    await db.query(
      `with f as (
         insert into payment (order_id, provider, method, currency, amount_minor, authorised_minor, captured_minor, refunded_minor, status, failure_code, created_at, updated_at)
         select o.id, 'test-card', o.payment_method, o.currency, o.total_minor, 0, 0, 0, 'failed', 'card_declined', o.placed_at, o.placed_at
           from sales_order o where o.external_id like 'B-%' and abs(hashint4(o.id * 37)) % 25 = 0
         returning id, amount_minor, created_at)
       insert into payment_operation (payment_id, kind, amount_minor, idempotency_key, succeeded, error_code, created_at)
       select id, 'authorise', amount_minor, 'bench-declined-' || id, false, 'card_declined', created_at from f`,
    );
    // Returned orders have their return: one unit of their first line, opened 3 to 9 days after the order, a fifth exchanged.
    await db.query(
      `insert into return_request (number, order_id, status, reason, resolution, lines, source, created_at, updated_at)
       select 'RMA-B' || o.id, o.id, case when abs(hashint4(o.id * 41)) % 5 = 0 then 'exchanged' else 'refunded' end,
              (array['damaged', 'wrong_item', 'not_as_described', 'no_longer_needed', 'size_or_fit', 'other'])[1 + abs(hashint4(o.id * 43)) % 6],
              case when abs(hashint4(o.id * 41)) % 5 = 0 then 'exchange' else 'refund' end,
              jsonb_build_array(jsonb_build_object('sku', l.sku, 'quantity', 1)), 'bench', r.at, r.at
         from sales_order o
         cross join lateral (select sku from order_line where order_id = o.id order by id limit 1) l
         cross join lateral (select least(now(), o.placed_at + (3 + abs(hashint4(o.id * 47)) % 7) * interval '1 day') as at) r
        where o.external_id like 'B-%' and o.status in ('returned', 'partially_returned')`,
    );
  }
}
