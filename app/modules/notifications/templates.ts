// Customer emails: pure rendering of each template into subject, plain text and HTML, in the
// customer's language. The copy lives here (not in app/locales): it is written to customers, not
// to console users, and one typed object per language keeps every template in every language.
import type { Locale } from '../../../entities/constants.ts';
import type { NotificationTemplate } from '../../../entities/notifications.ts';
import { formatDate, formatMoney } from '../../lib/format.ts';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface OrderSummary {
  number: string;
  customerName: string;
  currency: string;
  subtotalMinor: number;
  shippingMinor: number;
  taxMinor: number;
  taxIncluded: boolean;
  discountMinor: number;
  totalMinor: number;
  placedAt: Date | string;
  lines: { name: string; quantity: number; totalMinor: number }[];
  /** The public tracking page, `${PUBLIC_URL}/track/{trackingToken}`. */
  trackingPageUrl: string;
}

export interface ShipmentInfo {
  carrier: string;
  trackingNumber: string;
  /** The carrier's own tracking page for this parcel, when the carrier has one. */
  trackingUrl: string | null;
}

/** A product suggested to the customer because it is often bought with one they bought. */
export interface RecommendedProduct {
  name: string;
  priceMinor: number;
  currency: string;
  /** The product of theirs it goes with. */
  because: string;
  /** The product's page in the shop (STORE_PRODUCT_URL), when the shop has one. */
  url: string | null;
}

/** What each template needs, on top of the order. */
export interface TemplateInputs {
  order_confirmation: OrderSummary;
  order_shipped: OrderSummary & { shipments: ShipmentInfo[] };
  order_delivered: OrderSummary & { deliveredAt: Date | string; ratingUrl: string };
  recommendations: OrderSummary & { picks: RecommendedProduct[] };
}

/** Values a template's sentences may use, already formatted for the reader. */
export interface CopyVars {
  number: string;
  name: string;
  placed: string;
  total: string;
  delivered: string;
  parcels: number;
}

export interface TemplateCopy {
  subject: (v: CopyVars) => string;
  paragraphs: (v: CopyVars) => string[];
}

export interface EmailCopy {
  greeting: (name: string) => string;
  /** Between a label and its value in the text version. */
  colon: string;
  signOff: string;
  footer: string;
  labels: {
    order: string;
    placed: string;
    item: string;
    quantity: string;
    amount: string;
    subtotal: string;
    shipping: string;
    discount: string;
    tax: string;
    taxIncluded: string;
    total: string;
    carrier: string;
    trackingNumber: string;
    goesWith: string;
    price: string;
  };
  actions: {
    trackOrder: string;
    trackParcel: (carrier: string) => string;
    rate: string;
    viewProduct: (name: string) => string;
  };
  templates: Record<NotificationTemplate, TemplateCopy>;
}

const en: EmailCopy = {
  greeting: (name) => (name ? `Hi ${name},` : 'Hello,'),
  colon: ': ',
  signOff: 'Thank you for shopping with us.',
  footer: 'You are receiving this email because you placed an order with us.',
  labels: {
    order: 'Order number',
    placed: 'Order date',
    item: 'Item',
    quantity: 'Qty',
    amount: 'Amount',
    subtotal: 'Subtotal',
    shipping: 'Shipping',
    discount: 'Discount',
    tax: 'Tax',
    taxIncluded: 'Includes tax',
    total: 'Total',
    carrier: 'Carrier',
    trackingNumber: 'Tracking number',
    goesWith: 'Goes with your',
    price: 'Price',
  },
  actions: {
    trackOrder: 'Track your order',
    trackParcel: (carrier) => `Track this parcel with ${carrier}`,
    rate: 'Rate your order',
    viewProduct: (name) => `See ${name}`,
  },
  templates: {
    order_confirmation: {
      subject: (v) => `We have received your order ${v.number}`,
      paragraphs: (v) => [
        `Thank you for your order! We have received order ${v.number}, placed on ${v.placed}, for a total of ${v.total}.`,
        'We will email you again as soon as it ships.',
      ],
    },
    order_shipped: {
      subject: (v) => `Your order ${v.number} is on its way`,
      paragraphs: (v) => [
        `Good news: your order ${v.number} has shipped.`,
        ...(v.parcels > 1 ? [`It travels in ${v.parcels} parcels, each with its own tracking number.`] : []),
      ],
    },
    order_delivered: {
      subject: (v) => `Your order ${v.number} has been delivered`,
      paragraphs: (v) => [
        `Your order ${v.number} was delivered on ${v.delivered}. We hope you enjoy it!`,
        'How did we do? Rating your order takes less than a minute and helps us improve.',
      ],
    },
    recommendations: {
      subject: (v) => `Picked for you: goes well with your order ${v.number}`,
      paragraphs: (v) => [`Customers who bought what you ordered in ${v.number} often chose these too. We thought you might like them.`],
    },
  },
};

const zhCN: EmailCopy = {
  greeting: (name) => (name ? `${name}，您好：` : '您好：'),
  colon: '：',
  signOff: '感谢您的惠顾，祝您购物愉快！',
  footer: '您收到这封邮件，是因为您在本店下了订单。',
  labels: {
    order: '订单号',
    placed: '下单日期',
    item: '商品',
    quantity: '数量',
    amount: '金额',
    subtotal: '商品小计',
    shipping: '运费',
    discount: '优惠',
    tax: '税费',
    taxIncluded: '含税',
    total: '合计',
    carrier: '快递公司',
    trackingNumber: '运单号',
    goesWith: '搭配您购买的',
    price: '价格',
  },
  actions: {
    trackOrder: '查看订单状态',
    trackParcel: (carrier) => `到 ${carrier} 查询物流`,
    rate: '为订单评分',
    viewProduct: (name) => `查看 ${name}`,
  },
  templates: {
    order_confirmation: {
      subject: (v) => `我们已收到您的订单 ${v.number}`,
      paragraphs: (v) => [`感谢您的购买！我们已收到您于 ${v.placed} 提交的订单 ${v.number}，订单金额 ${v.total}。`, '商品发出后，我们会再发邮件通知您。'],
    },
    order_shipped: {
      subject: (v) => `您的订单 ${v.number} 已发货`,
      paragraphs: (v) => [
        `好消息！您的订单 ${v.number} 已经发货，正在送往您手中。`,
        ...(v.parcels > 1 ? [`您的订单分 ${v.parcels} 个包裹寄出，每个包裹都有各自的运单号。`] : []),
      ],
    },
    order_delivered: {
      subject: (v) => `您的订单 ${v.number} 已签收`,
      paragraphs: (v) => [
        `您的订单 ${v.number} 已于 ${v.delivered} 送达，希望您喜欢！`,
        '这次购物体验如何？花一分钟为订单打个分吧，您的反馈能帮助我们做得更好。',
      ],
    },
    recommendations: {
      subject: (v) => `为您精选：与订单 ${v.number} 搭配的好物`,
      paragraphs: (v) => [`购买了您在订单 ${v.number} 中所选商品的顾客，也常常选购下面这些商品，或许您也会喜欢。`],
    },
  },
};

const zhTW: EmailCopy = {
  greeting: (name) => (name ? `${name} 您好：` : '您好：'),
  colon: '：',
  signOff: '感謝您的支持，祝您購物愉快！',
  footer: '您收到這封信，是因為您曾在本店訂購商品。',
  labels: {
    order: '訂單編號',
    placed: '訂購日期',
    item: '商品',
    quantity: '數量',
    amount: '金額',
    subtotal: '商品小計',
    shipping: '運費',
    discount: '折扣',
    tax: '稅金',
    taxIncluded: '內含稅金',
    total: '總計',
    carrier: '物流業者',
    trackingNumber: '貨運單號',
    goesWith: '搭配您購買的',
    price: '價格',
  },
  actions: {
    trackOrder: '查詢訂單狀態',
    trackParcel: (carrier) => `至 ${carrier} 查詢貨態`,
    rate: '為這筆訂單評分',
    viewProduct: (name) => `查看 ${name}`,
  },
  templates: {
    order_confirmation: {
      subject: (v) => `我們已收到您的訂單 ${v.number}`,
      paragraphs: (v) => [`感謝您的訂購！我們已收到您於 ${v.placed} 成立的訂單 ${v.number}，訂單金額為 ${v.total}。`, '商品出貨後，我們會再寄信通知您。'],
    },
    order_shipped: {
      subject: (v) => `您的訂單 ${v.number} 已出貨`,
      paragraphs: (v) => [
        `好消息！您的訂單 ${v.number} 已經出貨，正在配送途中。`,
        ...(v.parcels > 1 ? [`您的訂單分成 ${v.parcels} 個包裹寄送，每個包裹各有自己的貨運單號。`] : []),
      ],
    },
    order_delivered: {
      subject: (v) => `您的訂單 ${v.number} 已送達`,
      paragraphs: (v) => [
        `您的訂單 ${v.number} 已於 ${v.delivered} 送達，希望您會喜歡！`,
        '這次的購物體驗還滿意嗎？歡迎花一分鐘為這筆訂單評分，您的意見是我們進步的動力。',
      ],
    },
    recommendations: {
      subject: (v) => `為您精選：與訂單 ${v.number} 最搭的好物`,
      paragraphs: (v) => [`購買了您在訂單 ${v.number} 中所選商品的顧客，也常常選購下列商品，或許您也會喜歡。`],
    },
  },
};

/** The email copy, one complete object per language. */
export const EMAIL_COPY: Record<Locale, EmailCopy> = { en, 'zh-CN': zhCN, 'zh-TW': zhTW };

/** A customer's stored locale as one of ours: zh-TW/HK/MO/Hant read Traditional, other zh Simplified, else English. */
export function emailLocale(value: string | null | undefined): Locale {
  const tag = (value ?? '').trim().toLowerCase();
  if (/^zh[-_](tw|hk|mo|hant)/.test(tag)) return 'zh-TW';
  if (tag.startsWith('zh')) return 'zh-CN';
  return 'en';
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Only http(s) links go into a customer's mail; anything else is dropped. */
function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}

/** One piece of a mail's body, rendered both as plain text and as HTML. */
export interface Block {
  /** Plain-text paragraph. */
  p?: string;
  /** A link shown as a button in HTML and as "label: url" in text. */
  link?: { label: string; url: string };
  /** Label/value rows (order summary, parcel details). */
  rows?: { label: string; value: string; strong?: boolean }[];
  /** A table: the first column left-aligned, the others right; `text` writes a row in the text version (default: cells joined by two spaces). */
  table?: { head: string[]; body: string[][]; text?: (row: string[]) => string };
}

/** What frames every mail: its language, subject, greeting and closing lines. */
export interface MailFrame {
  locale: Locale;
  subject: string;
  greeting: string;
  /** Between a label and its value in the text version. */
  colon: string;
  signOff: string;
  footer: string;
}

/** Lays blocks out as one mail (plain text and HTML) in the shared look. */
export function layoutMail(frame: MailFrame, blocks: Block[]): RenderedEmail {
  return { subject: frame.subject, text: toText(frame, blocks), html: toHtml(frame, blocks) };
}

export interface RenderOptions {
  /** Time zone for dates (default: the server's). */
  timeZone?: string;
}

/** Renders one template for one language. Pure: same input, same mail. */
export function renderNotification<T extends NotificationTemplate>(
  template: T,
  locale: Locale,
  input: TemplateInputs[T],
  opts: RenderOptions = {},
): RenderedEmail {
  const copy = EMAIL_COPY[locale];
  const money = (minor: number) => formatMoney(minor, input.currency, locale);
  const date = (d: Date | string) => formatDate(d, locale, opts.timeZone);
  const shipments = template === 'order_shipped' ? (input as TemplateInputs['order_shipped']).shipments : [];
  const delivered = template === 'order_delivered' ? (input as TemplateInputs['order_delivered']) : null;
  const vars: CopyVars = {
    number: input.number,
    name: input.customerName.trim(),
    placed: date(input.placedAt),
    total: money(input.totalMinor),
    delivered: delivered ? date(delivered.deliveredAt) : '',
    parcels: shipments.length,
  };
  const t = copy.templates[template];
  const L = copy.labels;
  const blocks: Block[] = t.paragraphs(vars).map((p) => ({ p }));

  const picks = template === 'recommendations' ? (input as TemplateInputs['recommendations']).picks : null;

  if (picks) {
    blocks.push({
      table: {
        head: [L.item, L.goesWith, L.price],
        body: picks.map((r) => [r.name, r.because, formatMoney(r.priceMinor, r.currency, locale)]),
        text: ([item, because, price]) => `${item}  ${price}  (${L.goesWith} ${because})`,
      },
    });
    for (const r of picks) {
      const url = safeUrl(r.url);
      if (url) blocks.push({ link: { label: copy.actions.viewProduct(r.name), url } });
    }
  }
  if (template === 'order_confirmation') {
    blocks.push({
      rows: [
        { label: L.order, value: input.number },
        { label: L.placed, value: vars.placed },
      ],
    });
    blocks.push({
      table: {
        head: [L.item, L.quantity, L.amount],
        body: input.lines.map((l) => [l.name, String(l.quantity), money(l.totalMinor)]),
        text: ([item, qty, amount]) => `${qty} × ${item}  ${amount}`,
      },
    });
    const rows: NonNullable<Block['rows']> = [{ label: L.subtotal, value: money(input.subtotalMinor) }];
    if (input.shippingMinor) rows.push({ label: L.shipping, value: money(input.shippingMinor) });
    if (input.discountMinor) rows.push({ label: L.discount, value: `-${money(input.discountMinor)}` });
    if (input.taxMinor) rows.push({ label: input.taxIncluded ? L.taxIncluded : L.tax, value: money(input.taxMinor) });
    rows.push({ label: L.total, value: vars.total, strong: true });
    blocks.push({ rows });
  } else {
    blocks.push({
      rows: [
        { label: L.order, value: input.number },
        { label: L.total, value: vars.total },
      ],
    });
  }
  for (const s of shipments) {
    blocks.push({
      rows: [
        { label: L.carrier, value: s.carrier },
        { label: L.trackingNumber, value: s.trackingNumber },
      ],
    });
    const url = safeUrl(s.trackingUrl);
    if (url) blocks.push({ link: { label: copy.actions.trackParcel(s.carrier), url } });
  }
  if (delivered) {
    const url = safeUrl(delivered.ratingUrl);
    if (url) blocks.push({ link: { label: copy.actions.rate, url } });
  }
  const trackUrl = safeUrl(input.trackingPageUrl);
  if (trackUrl) blocks.push({ link: { label: copy.actions.trackOrder, url: trackUrl } });

  return layoutMail(
    { locale, subject: t.subject(vars), greeting: copy.greeting(vars.name), colon: copy.colon, signOff: copy.signOff, footer: copy.footer },
    blocks,
  );
}

function toText(frame: MailFrame, blocks: Block[]): string {
  const out: string[] = [frame.greeting];
  for (const b of blocks) {
    if (b.p) out.push(b.p);
    if (b.link) out.push(`${b.link.label}${frame.colon}${b.link.url}`);
    if (b.rows) out.push(b.rows.map((r) => `${r.label}${frame.colon}${r.value}`).join('\n'));
    if (b.table) out.push(b.table.body.map((row) => (b.table!.text ? b.table!.text(row) : row.join('  '))).join('\n'));
  }
  out.push(frame.signOff, `--\n${frame.footer}`);
  return `${out.join('\n\n')}\n`;
}

const FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'PingFang SC','PingFang TC','Microsoft YaHei','Microsoft JhengHei',sans-serif";

function toHtml(frame: MailFrame, blocks: Block[]): string {
  const e = escapeHtml;
  const cell = 'padding:6px 8px;border-bottom:1px solid #e5e7eb;';
  const parts: string[] = [`<p style="margin:0 0 16px">${e(frame.greeting)}</p>`];
  for (const b of blocks) {
    if (b.p) parts.push(`<p style="margin:0 0 16px">${e(b.p)}</p>`);
    if (b.link) {
      parts.push(
        `<p style="margin:0 0 16px"><a href="${e(b.link.url)}" style="display:inline-block;padding:10px 18px;background:#1d4ed8;color:#ffffff;text-decoration:none;border-radius:6px">${e(b.link.label)}</a></p>`,
      );
    }
    if (b.rows) {
      parts.push(
        `<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">${b.rows
          .map(
            (r) =>
              `<tr><td style="padding:2px 16px 2px 0;color:#6b7280">${e(r.label)}</td><td style="padding:2px 0${r.strong ? ';font-weight:600' : ''}">${e(r.value)}</td></tr>`,
          )
          .join('')}</table>`,
      );
    }
    if (b.table) {
      const align = (i: number) => (i === 0 ? 'left' : 'right');
      parts.push(
        `<table style="border-collapse:collapse;width:100%;margin:0 0 16px"><thead><tr>${b.table.head.map((h, i) => `<th align="${align(i)}" style="${cell}">${e(h)}</th>`).join('')}</tr></thead><tbody>${b.table.body
          .map((row) => `<tr>${row.map((c, i) => `<td${i ? ` align="${align(i)}"` : ''} style="${cell}">${e(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
    }
  }
  parts.push(`<p style="margin:0 0 24px">${e(frame.signOff)}</p>`);
  parts.push(`<p style="margin:0;font-size:12px;color:#6b7280">${e(frame.footer)}</p>`);
  return `<!doctype html>
<html lang="${e(frame.locale)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(frame.subject)}</title></head>
<body style="margin:0;padding:24px;background:#f3f4f6;${FONT};color:#111827;font-size:15px;line-height:1.5">
<div style="max-width:600px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
${parts.join('\n')}
</div>
</body>
</html>
`;
}
