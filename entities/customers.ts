import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export interface Address {
  name?: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode?: string;
  country: string;
  lat?: number;
  lng?: number;
}

export const CUSTOMER_TIERS = ['standard', 'silver', 'gold', 'vip'] as const;

export const Customer = defineEntity({
  name: 'Customer',
  properties: {
    id: p.integer().primary().autoincrement(),
    email: p.string().unique(),
    name: p.string(),
    phone: p.string().nullable(),
    locale: p.string().default('en'),
    tier: p.enum(CUSTOMER_TIERS).default('standard'),
    tags: p.array().default([]),
    addresses: p.json<Address[]>().default([]),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  // Search by any part of a name or email (order list, customer search): trigrams.
  indexes: [
    {
      name: 'customer_search_trgm_index',
      expression: 'create index "customer_search_trgm_index" on "customer" using gin ("name" gin_trgm_ops, "email" gin_trgm_ops)',
    },
  ],
});
export type ICustomer = InferEntity<typeof Customer>;
