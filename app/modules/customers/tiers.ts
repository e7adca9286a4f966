// Customer tiers, by rule. Pure (no I/O, no ORM): the server applies it after every order and in
// bulk, the browser uses the same lists for filters and badges. Change the thresholds here only.
import { currencyExponent } from '../../lib/money.ts';

/** The tiers, lowest first. Mirrors CUSTOMER_TIERS in entities/customers.ts (a unit test keeps them equal). */
export const TIERS = ['standard', 'silver', 'gold', 'vip'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * The rules, highest tier first; the first one a customer meets wins, else `standard`.
 * `minLtv` is in MAJOR units of the base currency (5000 = 5,000.00 USD with base USD);
 * `minOrders`, when given, is an alternative way in (either condition is enough).
 */
export const TIER_RULES: readonly { tier: Exclude<Tier, 'standard'>; minLtv: number; minOrders?: number }[] = [
  { tier: 'vip', minLtv: 5_000, minOrders: 20 },
  { tier: 'gold', minLtv: 2_000 },
  { tier: 'silver', minLtv: 500 },
];

/**
 * Order statuses that do not count towards lifetime value or the order count.
 * Lifetime value (LTV) = the sum over the customer's orders NOT in these statuses of each order's
 * total converted to the base currency at the CURRENT rate (exchange_rate table), rounded once to
 * minor units of base. Orders in a currency without a rate add to the count but not to the value.
 */
export const LTV_EXCLUDED_STATUSES = ['cancelled'] as const;

export interface TierInput {
  /** Lifetime value in minor units of the base currency. */
  ltvBaseMinor: number;
  /** Orders counted for LTV (not cancelled). */
  orders: number;
  baseCurrency: string;
}

export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}

/** The tier the rules give a customer. */
export function tierFor({ ltvBaseMinor, orders, baseCurrency }: TierInput): Tier {
  const scale = 10 ** currencyExponent(baseCurrency);
  for (const rule of TIER_RULES) {
    if (ltvBaseMinor >= Math.round(rule.minLtv * scale)) return rule.tier;
    if (rule.minOrders !== undefined && orders >= rule.minOrders) return rule.tier;
  }
  return 'standard';
}
