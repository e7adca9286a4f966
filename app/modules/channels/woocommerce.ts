// WooCommerce order webhook (REST API v3 order resource) → OrderInput. Pure: no I/O; throws
// DomainError (422) for amounts it cannot read, naming the payload's field.
import { invalid } from '../../lib/errors.ts';
import { amountReader } from './amounts.ts';
import { compact, joinName, list, needed, orderPayload, quantity, record, text, timestamp, type AddressDraft, type Json, type OrderDraft } from './payload.ts';

export const WOOCOMMERCE_SIGNATURE_HEADER = 'X-WC-Webhook-Signature';
export const WOOCOMMERCE_TOPIC_HEADER = 'X-WC-Webhook-Topic';
/** The topic that becomes an order; a delivery without a topic header is taken as one too. */
export const WOOCOMMERCE_ORDER_TOPIC = 'order.created';

/** The body WooCommerce posts (form-encoded, maybe unsigned) when a webhook is saved, to test the URL. */
export const isWooCommercePing = (body: string) => /^webhook_id=\d+$/.test(body.trim());

export function mapWooCommerceOrder(payload: unknown, channel: string): OrderDraft {
  const { order: o, currency } = orderPayload(payload);
  const amounts = amountReader(currency);
  const billing = record(o.billing);
  // Virtual goods leave the shipping address blank: the billing one stands in.
  const shipping = text(record(o.shipping).address_1) ? record(o.shipping) : billing;

  const lines = list(o.line_items).map((item, i) => {
    const li = record(item);
    return { sku: needed(text(li.sku)), quantity: quantity(li.quantity), unitPrice: amounts.required(li.price, `line_items.${i}.price`) };
  });
  const shippingTotal = amounts.optional(o.shipping_total, 'shipping_total');
  const tax = amounts.optional(o.total_tax, 'total_tax');
  // A line's `price` is already net of coupons (WooCommerce spreads them over the lines), so no
  // order discount is taken again; prices_include_tax says whether total_tax is inside the prices.
  const taxIncluded = o.prices_include_tax === true;
  if (amounts.errors.length) throw invalid(amounts.errors);

  const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0) + shippingTotal + (taxIncluded ? 0 : tax);
  const paid = text(o.date_paid) !== undefined && Number.isSafeInteger(total);

  return compact({
    channel,
    externalId: needed(text(o.id)),
    customer: compact({
      email: needed(text(billing.email)),
      name: needed(joinName(billing.first_name, billing.last_name) ?? joinName(shipping.first_name, shipping.last_name)),
      phone: text(billing.phone),
    }),
    shippingAddress: wooAddress(shipping),
    currency,
    lines,
    paymentMethod: (text(o.payment_method) ?? 'woocommerce').slice(0, 40),
    shipping: shippingTotal,
    tax,
    taxIncluded,
    paidAmount: paid ? total : undefined,
    // date_created is the shop's local time; the _gmt twin has no zone marker but is UTC.
    placedAt: timestamp(o.date_created_gmt, true),
  });
}

function wooAddress(a: Json): AddressDraft {
  return compact({
    name: joinName(a.first_name, a.last_name),
    line1: needed(text(a.address_1)),
    line2: text(a.address_2),
    city: needed(text(a.city)),
    postalCode: text(a.postcode),
    country: needed(text(a.country)),
  });
}
