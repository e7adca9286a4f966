import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../lib/errors.ts';
import { OrderInput } from '../orders/schemas.ts';
import { isWooCommercePing, mapWooCommerceOrder } from './woocommerce.ts';

// The raw webhook body, changed field by field below as a channel might send it (deep, loosely typed JSON).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture = (): Record<string, any> =>
  JSON.parse(fs.readFileSync(new URL('../../../tests/fixtures/webhooks/woocommerce-order-created.json', import.meta.url), 'utf8'));

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('mapWooCommerceOrder', () => {
  it('maps an order webhook to a valid OrderInput', () => {
    const input = mapWooCommerceOrder(fixture(), 'momo');
    expect(input).toEqual({
      channel: 'momo',
      externalId: '7281',
      customer: { email: 'yichun.lin@example.com.tw', name: 'Yi-Chun Lin', phone: '+886 2 2345 6789' },
      shippingAddress: { name: 'Yi-Chun Lin', line1: 'No. 7, Sec. 5, Xinyi Rd.', line2: '12F', city: 'Taipei', postalCode: '110', country: 'TW' },
      currency: 'TWD',
      lines: [
        { sku: 'HOM-1002', quantity: 2, unitPrice: 45000 },
        { sku: 'APP-1000', quantity: 1, unitPrice: 128000 },
      ],
      paymentMethod: 'ecpay_credit',
      shipping: 6000,
      tax: 0,
      taxIncluded: false,
      paidAmount: 224000,
      placedAt: '2025-03-14T18:02:05.000Z',
    });
    expect(OrderInput.safeParse(input).success).toBe(true);
  });

  it('reads per-unit prices given as numbers or text, exactly', () => {
    const p = fixture();
    p.currency = 'USD';
    p.line_items[0].price = 10.99;
    p.line_items[1].price = '1.005';
    p.shipping_total = '4.35';
    p.total_tax = '1.15';
    const input = mapWooCommerceOrder(p, 'web');
    expect(input.lines.map((l) => l.unitPrice)).toEqual([1099, 101]);
    expect(input).toMatchObject({ shipping: 435, tax: 115, paidAmount: 2 * 1099 + 101 + 435 + 115 });
  });

  it('leaves the payment open while date_paid is null', () => {
    const p = fixture();
    p.date_paid = null;
    expect(mapWooCommerceOrder(p, 'momo')).not.toHaveProperty('paidAmount');
  });

  it('uses the billing address for orders without shipping, and a default payment method', () => {
    const p = fixture();
    p.shipping = { first_name: '', last_name: '', company: '', address_1: '', address_2: '', city: '', state: '', postcode: '', country: '', phone: '' };
    p.payment_method = '';
    p.billing.address_2 = '';
    const input = mapWooCommerceOrder(p, 'momo');
    expect(input.shippingAddress).toEqual({ name: 'Yi-Chun Lin', line1: 'No. 7, Sec. 5, Xinyi Rd.', city: 'Taipei', postalCode: '110', country: 'TW' });
    expect(input.paymentMethod).toBe('woocommerce');
  });

  it('refuses malformed amounts with 422 naming each payload field', () => {
    const p = fixture();
    p.line_items[0].price = 'free';
    delete p.line_items[1].price;
    p.shipping_total = '60.0.0';
    const e = refusal(() => mapWooCommerceOrder(p, 'momo'));
    expect(e).toMatchObject({ status: 422, code: 'validation_failed' });
    expect(e.errors!.map((x) => [x.field, x.code])).toEqual([
      ['line_items.0.price', 'invalid_amount'],
      ['line_items.1.price', 'required'],
      ['shipping_total', 'invalid_amount'],
    ]);
  });

  it('leaves missing required fields for OrderInput to name', () => {
    const p = fixture();
    p.billing.email = '';
    p.line_items[0].quantity = 0;
    const parsed = OrderInput.safeParse(mapWooCommerceOrder(p, 'momo'));
    expect(parsed.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['customer.email', 'lines.0.quantity']);
  });
});

describe('isWooCommercePing', () => {
  it('recognises the form-encoded ping and nothing else', () => {
    expect(isWooCommercePing('webhook_id=12')).toBe(true);
    expect(isWooCommercePing('webhook_id=12\n')).toBe(true);
    expect(isWooCommercePing('webhook_id=')).toBe(false);
    expect(isWooCommercePing('{"webhook_id":12}')).toBe(false);
    expect(isWooCommercePing('webhook_id=12&x=1')).toBe(false);
  });
});
