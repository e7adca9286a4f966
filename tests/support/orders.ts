// An order through the public API, as a channel would send it: web, one line, a Boston address, USD.
import { expect } from 'vitest';

export interface ApiOrder {
  /** The app answering (its URL and API key); `base` sends it to another web node of the same app. */
  app: { url: string; credentials: { apiKey: string } };
  base?: string;
  externalId: string;
  sku: string;
  unitPrice?: number;
  /** Fields to add or override (paymentMethod, promisedBy, customer, …). */
  extra?: Record<string, unknown>;
}

/** Places the order and expects it accepted (201); answers its id and number. */
export async function placeApiOrder({ app, base, externalId, sku, unitPrice = 1999, extra = {} }: ApiOrder): Promise<{ id: number; number: string }> {
  const res = await fetch(`${base ?? app.url}/api/v1/orders`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${app.credentials.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      channel: 'web',
      externalId,
      customer: { email: 'buyer@example.com', name: 'Api Buyer' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', postalCode: '02108', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [{ sku, quantity: 1, unitPrice }],
      paymentMethod: 'test-card',
      paymentToken: 'tok_visa',
      ...extra,
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: number; number: string };
}
