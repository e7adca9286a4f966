import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../lib/errors.ts';
import { OrderInput } from '../orders/schemas.ts';
import { mapShopifyOrder } from './shopify.ts';

// The raw webhook body, changed field by field below as a channel might send it (deep, loosely typed JSON).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture = (): Record<string, any> =>
  JSON.parse(fs.readFileSync(new URL('../../../tests/fixtures/webhooks/shopify-orders-create.json', import.meta.url), 'utf8'));

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('mapShopifyOrder', () => {
  it('maps an orders/create payload to a valid OrderInput', () => {
    const input = mapShopifyOrder(fixture(), 'web');
    expect(input).toEqual({
      channel: 'web',
      externalId: '5641372106924',
      customer: { email: 'maya.lindqvist@example.com', name: 'Maya Lindqvist', phone: '+16175550142' },
      shippingAddress: {
        name: 'Maya Lindqvist',
        line1: '1 Beacon St',
        line2: 'Floor 12',
        city: 'Boston',
        postalCode: '02108',
        country: 'US',
        lat: 42.3576,
        lng: -71.0619,
      },
      currency: 'USD',
      lines: [
        { sku: 'APP-1000', quantity: 2, unitPrice: 2495 },
        { sku: 'FOO-1001', quantity: 1, unitPrice: 1990 },
      ],
      paymentMethod: 'shopify_payments',
      shipping: 500,
      tax: 611,
      taxIncluded: false,
      discount: 0,
      paidAmount: 8091,
      placedAt: '2025-03-14T14:21:33.000Z',
    });
    expect(OrderInput.safeParse(input).success).toBe(true);
  });

  it('takes discounts off and does not add tax twice when prices include it', () => {
    const discounted = mapShopifyOrder({ ...fixture(), total_discounts: '10.00' }, 'web');
    expect(discounted).toMatchObject({ discount: 1000, paidAmount: 8091 - 1000 });
    const vat = mapShopifyOrder({ ...fixture(), taxes_included: true }, 'web');
    expect(vat).toMatchObject({ taxIncluded: true, tax: 611, paidAmount: 8091 - 611 });
    expect(OrderInput.safeParse(vat).success).toBe(true);
  });

  it('adds up shipping_lines when total_shipping_price_set is absent', () => {
    const p = fixture();
    delete p.total_shipping_price_set;
    p.shipping_lines = [{ price: '4.99' }, { price: '0.01' }, { price: '1.005' }];
    expect(mapShopifyOrder(p, 'web').shipping).toBe(499 + 1 + 101);
    delete p.shipping_lines;
    expect(mapShopifyOrder(p, 'web').shipping).toBe(0);
  });

  it('leaves the payment open unless financial_status is paid', () => {
    for (const status of ['pending', 'authorized', 'partially_paid', undefined]) {
      const p = fixture();
      p.financial_status = status;
      expect(mapShopifyOrder(p, 'web')).not.toHaveProperty('paidAmount');
    }
  });

  it('falls back for customer fields and the payment method', () => {
    const p = fixture();
    p.email = '';
    p.customer = null;
    p.payment_gateway_names = [];
    const input = mapShopifyOrder(p, 'web');
    expect(input.customer).toEqual({ email: 'maya.lindqvist@example.com', name: 'Maya Lindqvist', phone: '+1 617 555 0142' });
    expect(input.paymentMethod).toBe('shopify');
    p.contact_email = null;
    p.customer = { email: 'c@example.com', first_name: 'Cleo', last_name: null };
    expect(mapShopifyOrder(p, 'web').customer).toMatchObject({ email: 'c@example.com', name: 'Cleo' });
  });

  it('gives coordinates only when both are there', () => {
    const p = fixture();
    p.shipping_address.longitude = null;
    const addr = mapShopifyOrder(p, 'web').shippingAddress;
    expect(addr).not.toHaveProperty('lat');
    expect(addr).not.toHaveProperty('lng');
    delete p.shipping_address.latitude;
    delete p.shipping_address.longitude;
    expect(mapShopifyOrder(p, 'web').shippingAddress).not.toHaveProperty('lat');
    p.shipping_address.latitude = '42.5';
    p.shipping_address.longitude = '-71.25';
    expect(mapShopifyOrder(p, 'web').shippingAddress).toMatchObject({ lat: 42.5, lng: -71.25 });
  });

  it('uses the billing address when the order ships nowhere', () => {
    const p = fixture();
    delete p.shipping_address;
    expect(mapShopifyOrder(p, 'web').shippingAddress).toMatchObject({ line1: '77 Massachusetts Ave', city: 'Cambridge', postalCode: '02139', country: 'US' });
  });

  it('refuses malformed amounts with 422 naming each payload field', () => {
    const p = fixture();
    p.line_items[1].price = '19,90';
    p.total_tax = 'six';
    p.total_shipping_price_set.shop_money.amount = '-5.00';
    const e = refusal(() => mapShopifyOrder(p, 'web'));
    expect(e).toMatchObject({ status: 422, code: 'validation_failed', field: 'line_items.1.price' });
    expect(e.errors!.map((x) => [x.field, x.code])).toEqual([
      ['line_items.1.price', 'invalid_amount'],
      ['total_shipping_price_set.shop_money.amount', 'too_small'],
      ['total_tax', 'invalid_amount'],
    ]);
  });

  it('refuses a payload without a currency it can read, or that is not an object', () => {
    const p = fixture();
    p.currency = 'dollars';
    expect(refusal(() => mapShopifyOrder(p, 'web')).errors).toEqual([expect.objectContaining({ field: 'currency', code: 'invalid_value' })]);
    delete p.currency;
    expect(refusal(() => mapShopifyOrder(p, 'web')).errors).toEqual([expect.objectContaining({ field: 'currency', code: 'required' })]);
    expect(refusal(() => mapShopifyOrder([1, 2], 'web')).errors).toEqual([expect.objectContaining({ field: '_', code: 'invalid_type' })]);
  });

  it('leaves missing required fields for OrderInput to name', () => {
    const p = fixture();
    delete p.id;
    p.line_items[0].sku = '';
    delete p.shipping_address.address1;
    const parsed = OrderInput.safeParse(mapShopifyOrder(p, 'web'));
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['externalId', 'lines.0.sku', 'shippingAddress.line1']);
  });

  it('keeps an id given as text (big ids arrive that way from parseWebhookJson)', () => {
    const p = fixture();
    p.id = '820982911946154508';
    expect(mapShopifyOrder(p, 'web').externalId).toBe('820982911946154508');
  });
});
