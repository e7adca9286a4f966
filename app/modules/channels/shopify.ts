// Shopify `orders/create` webhook → OrderInput. Pure: no I/O; throws DomainError (422) for amounts
// it cannot read, naming the payload's field. Amounts are the shop currency's (`currency`).
import { invalid } from '../../lib/errors.ts';
import { amountReader } from './amounts.ts';
import {
  compact,
  coordinate,
  firstText,
  isRecord,
  joinName,
  list,
  needed,
  orderPayload,
  quantity,
  record,
  text,
  timestamp,
  type AddressDraft,
  type Json,
  type OrderDraft,
} from './payload.ts';

export const SHOPIFY_SIGNATURE_HEADER = 'X-Shopify-Hmac-Sha256';
export const SHOPIFY_TOPIC_HEADER = 'X-Shopify-Topic';
/** The one topic that becomes an order; other topics are acknowledged and ignored. */
export const SHOPIFY_ORDER_TOPIC = 'orders/create';

export function mapShopifyOrder(payload: unknown, channel: string): OrderDraft {
  const { order: o, currency } = orderPayload(payload);
  const amounts = amountReader(currency);
  const customer = record(o.customer);
  // Orders without shipping (digital goods) still need an address: the billing one stands in.
  const shipTo = isRecord(o.shipping_address) ? o.shipping_address : record(o.billing_address);

  const lines = list(o.line_items).map((item, i) => {
    const li = record(item);
    return { sku: needed(text(li.sku)), quantity: quantity(li.quantity), unitPrice: amounts.required(li.price, `line_items.${i}.price`) };
  });
  const shopShipping = record(record(o.total_shipping_price_set).shop_money).amount;
  const shipping =
    shopShipping !== undefined && shopShipping !== null
      ? amounts.optional(shopShipping, 'total_shipping_price_set.shop_money.amount')
      : list(o.shipping_lines).reduce<number>((sum, line, i) => sum + amounts.optional(record(line).price, `shipping_lines.${i}.price`), 0);
  const tax = amounts.optional(o.total_tax, 'total_tax');
  // Line prices are before discounts; total_discounts covers them all. With taxes_included the tax is inside the prices.
  const discount = amounts.optional(o.total_discounts, 'total_discounts');
  const taxIncluded = o.taxes_included === true;
  if (amounts.errors.length) throw invalid(amounts.errors);

  const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0) + shipping + (taxIncluded ? 0 : tax) - discount;
  const paid = o.financial_status === 'paid' && Number.isSafeInteger(total);
  const gateway = text(list(o.payment_gateway_names)[0]);

  return compact({
    channel,
    externalId: needed(text(o.id)),
    customer: compact({
      email: needed(firstText(o.email, customer.email, o.contact_email)),
      name: needed(joinName(customer.first_name, customer.last_name) ?? text(shipTo.name) ?? joinName(shipTo.first_name, shipTo.last_name)),
      phone: firstText(o.phone, customer.phone, shipTo.phone),
    }),
    shippingAddress: shopifyAddress(shipTo),
    currency,
    lines,
    paymentMethod: (gateway ?? 'shopify').slice(0, 40),
    shipping,
    tax,
    taxIncluded,
    discount,
    paidAmount: paid ? total : undefined,
    placedAt: timestamp(o.created_at),
  });
}

function shopifyAddress(a: Json): AddressDraft {
  const lat = coordinate(a.latitude);
  const lng = coordinate(a.longitude);
  return compact({
    name: text(a.name) ?? joinName(a.first_name, a.last_name),
    line1: needed(text(a.address1)),
    line2: text(a.address2),
    city: needed(text(a.city)),
    postalCode: text(a.zip),
    country: needed(text(a.country_code)),
    // Together or not at all: routing needs both.
    ...(lat !== undefined && lng !== undefined ? { lat, lng } : {}),
  });
}
