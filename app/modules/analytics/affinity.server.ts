// Product affinity ("bought together"), from the order lines of the last AFFINITY_WINDOW_DAYS days
// (cancelled orders never count). An order is a basket: the set of products on its lines. Over the N
// baskets of the window, for products A and B:
//   support(A, B)     = baskets with both / N
//   confidence(A → B) = baskets with both / baskets with A
//   lift(A, B)        = support(A, B) / (support(A) × support(B))   (> 1: bought together more than by chance)
// All computed in SQL. Nothing is written here.
import type { EntityManager } from '@mikro-orm/postgresql';
import { LTV_EXCLUDED_STATUSES } from '../customers/tiers.ts';

export const AFFINITY_WINDOW_DAYS = 180;

const COUNTED = `o.status not in (${LTV_EXCLUDED_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** The baskets of the window (one row per order and product), the basket count and each product's. */
const BASKETS = `baskets as (
    select distinct o.id as order_id, o.customer_id, l.product_id
      from order_line l join sales_order o on o.id = l.order_id
     where ${COUNTED} and o.placed_at > ?::timestamptz and o.placed_at <= ?::timestamptz),
  total as (select count(distinct order_id)::numeric as n from baskets),
  item as (select product_id, count(*)::numeric as baskets from baskets group by product_id)`;
const basketParams = (asOf: Date, days: number) => [new Date(asOf.getTime() - days * 86_400_000), asOf];

export interface ProductPair {
  a: { id: number; sku: string; name: string };
  b: { id: number; sku: string; name: string };
  /** Baskets with both. */
  orders: number;
  /** Distinct customers with both in one basket. */
  customers: number;
  support: number;
  /** confidence(A → B) and confidence(B → A). */
  confidenceAB: number;
  confidenceBA: number;
  lift: number;
}

/**
 * The strongest pairs: those in at least `minOrders` baskets (default 2), by lift, then baskets,
 * at most `limit` (default 50).
 */
export async function productPairs(em: EntityManager, opts: { asOf?: Date; days?: number; minOrders?: number; limit?: number } = {}): Promise<ProductPair[]> {
  const asOf = opts.asOf ?? new Date();
  const rows = await em.execute<Record<string, string | number>[]>(
    `with ${BASKETS},
     pair as (
       select x.product_id as a, y.product_id as b, count(*)::numeric as orders, count(distinct x.customer_id) as customers
         from baskets x join baskets y on y.order_id = x.order_id and y.product_id > x.product_id
        group by 1, 2 having count(*) >= ?)
     select p.a, pa.sku as a_sku, pa.name as a_name, p.b, pb.sku as b_sku, pb.name as b_name, p.orders, p.customers,
            p.orders / t.n as support, p.orders / ia.baskets as confidence_ab, p.orders / ib.baskets as confidence_ba,
            p.orders * t.n / (ia.baskets * ib.baskets) as lift
       from pair p cross join total t
       join item ia on ia.product_id = p.a join item ib on ib.product_id = p.b
       join product pa on pa.id = p.a join product pb on pb.id = p.b
      order by lift desc, p.orders desc, p.a, p.b
      limit ?`,
    [...basketParams(asOf, opts.days ?? AFFINITY_WINDOW_DAYS), opts.minOrders ?? 2, opts.limit ?? 50],
  );
  return rows.map((r) => ({
    a: { id: Number(r.a), sku: String(r.a_sku), name: String(r.a_name) },
    b: { id: Number(r.b), sku: String(r.b_sku), name: String(r.b_name) },
    orders: Number(r.orders),
    customers: Number(r.customers),
    support: Number(r.support),
    confidenceAB: Number(r.confidence_ab),
    confidenceBA: Number(r.confidence_ba),
    lift: Number(r.lift),
  }));
}

export interface Recommendation {
  productId: number;
  sku: string;
  name: string;
  /** The product the customer bought that it goes with best (highest lift). */
  because: { productId: number; sku: string; name: string };
  /** Distinct customers who bought both in one order (in the window). */
  customers: number;
  /** confidence(because → this product). */
  confidence: number;
  lift: number;
}

/**
 * Active products the customer has never bought (in any counted order), that were bought in the same
 * order as something they did buy, with a lift of at least 1, ranked by that lift (the best of what
 * they bought), then by how many customers bought the two together, then SKU.
 */
export async function recommendationsFor(
  em: EntityManager,
  customerId: number,
  limit: number,
  opts: { asOf?: Date; days?: number } = {},
): Promise<Recommendation[]> {
  const asOf = opts.asOf ?? new Date();
  const rows = await em.execute<Record<string, string | number>[]>(
    `with ${BASKETS},
     owned as (
       select distinct l.product_id from order_line l join sales_order o on o.id = l.order_id where o.customer_id = ? and ${COUNTED}),
     pair as (
       select x.product_id as owned, y.product_id as candidate, count(*)::numeric as orders, count(distinct x.customer_id) as customers
         from baskets x join baskets y on y.order_id = x.order_id and y.product_id <> x.product_id
        where x.product_id in (select product_id from owned) and y.product_id not in (select product_id from owned)
        group by 1, 2),
     scored as (
       select p.owned, p.candidate, p.customers, p.orders / io.baskets as confidence, p.orders * t.n / (io.baskets * ic.baskets) as lift
         from pair p cross join total t join item io on io.product_id = p.owned join item ic on ic.product_id = p.candidate),
     best as (
       select distinct on (candidate) * from scored where lift >= 1 order by candidate, lift desc, customers desc, owned)
     select b.candidate, pc.sku, pc.name, b.owned, po.sku as owned_sku, po.name as owned_name, b.customers, b.confidence, b.lift
       from best b join product pc on pc.id = b.candidate and pc.active join product po on po.id = b.owned
      order by b.lift desc, b.customers desc, pc.sku
      limit ?`,
    [...basketParams(asOf, opts.days ?? AFFINITY_WINDOW_DAYS), customerId, limit],
  );
  return rows.map((r) => ({
    productId: Number(r.candidate),
    sku: String(r.sku),
    name: String(r.name),
    because: { productId: Number(r.owned), sku: String(r.owned_sku), name: String(r.owned_name) },
    customers: Number(r.customers),
    confidence: Number(r.confidence),
    lift: Number(r.lift),
  }));
}
