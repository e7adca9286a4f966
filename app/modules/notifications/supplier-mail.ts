// Purchase orders to suppliers: the PO number to quote, what to send (SKU, name, quantity, unit
// cost), where to deliver it and by when, in the supplier's language; and, when a PO already sent is
// cancelled, the notice that withdraws it (what not to ship, where it was to go). Pure rendering.
import type { Locale } from '../../../entities/constants.ts';
import { formatDate, formatMoney } from '../../lib/format.ts';
import { layoutMail, type Block, type RenderedEmail } from './templates.ts';

export interface PurchaseOrderMailInput {
  number: string;
  supplierName: string;
  currency: string;
  expectedAt: Date | string | null;
  warehouse: { code: string; name: string; line1: string; city: string; postalCode: string | null; country: string };
  lines: { sku: string; name: string; quantity: number; unitCostMinor: number }[];
  /** Who sends it, for the sign-off (the shop's name or address). */
  buyer: string;
}

interface SupplierCopy {
  greeting: (name: string) => string;
  colon: string;
  subject: (number: string) => string;
  intro: (number: string) => string;
  quote: (number: string) => string;
  deliverTo: string;
  labels: {
    number: string;
    expected: string;
    sku: string;
    item: string;
    quantity: string;
    unitCost: string;
    amount: string;
    total: string;
    unknownCost: string;
  };
  signOff: (buyer: string) => string;
  footer: string;
  /** The notice withdrawing a PO already sent. */
  cancel: {
    subject: (number: string) => string;
    intro: (number: string) => string;
    doNotShip: string;
    confirm: (number: string) => string;
    reason: string;
    footer: string;
  };
}

const en: SupplierCopy = {
  greeting: (name) => `Dear ${name},`,
  colon: ': ',
  subject: (number) => `Purchase order ${number}`,
  intro: (number) => `Please supply the goods below under our purchase order ${number}.`,
  quote: (number) => `Please quote ${number} on your confirmation, delivery note and invoice, and confirm the delivery date by replying to this email.`,
  deliverTo: 'Deliver to',
  labels: {
    number: 'Purchase order',
    expected: 'Requested delivery',
    sku: 'SKU',
    item: 'Item',
    quantity: 'Qty',
    unitCost: 'Unit cost',
    amount: 'Amount',
    total: 'Order total',
    unknownCost: 'to be quoted',
  },
  signOff: (buyer) => `Kind regards,\n${buyer}`,
  footer: 'This purchase order was sent by our order console on behalf of the purchasing team.',
  cancel: {
    subject: (number) => `Cancelled: purchase order ${number}`,
    intro: (number) => `We cancel our purchase order ${number}, which we sent you earlier. Please do not ship the goods below.`,
    doNotShip: 'Cancelled lines',
    confirm: (number) =>
      `If any of these goods are already on their way, please reply to this email quoting ${number} before you invoice them. Please confirm the cancellation by replying to this email.`,
    reason: 'Reason',
    footer: 'This cancellation was sent by our order console on behalf of the purchasing team.',
  },
};

const zhCN: SupplierCopy = {
  greeting: (name) => `${name}：`,
  colon: '：',
  subject: (number) => `采购订单 ${number}`,
  intro: (number) => `请按我方采购订单 ${number} 供应以下货品。`,
  quote: (number) => `请在订单确认、送货单和发票上注明 ${number}，并回复本邮件确认交货日期。`,
  deliverTo: '收货地址',
  labels: {
    number: '采购订单号',
    expected: '要求交货日期',
    sku: 'SKU',
    item: '品名',
    quantity: '数量',
    unitCost: '单价',
    amount: '金额',
    total: '订单总额',
    unknownCost: '待报价',
  },
  signOff: (buyer) => `此致\n${buyer}`,
  footer: '本采购订单由订单控制台代采购部门发出。',
  cancel: {
    subject: (number) => `取消通知：采购订单 ${number}`,
    intro: (number) => `我方取消此前发给贵司的采购订单 ${number}，请勿发运以下货品。`,
    doNotShip: '已取消的明细',
    confirm: (number) => `如有货品已经发出，请在开具发票前回复本邮件并注明 ${number}。请回复本邮件确认取消。`,
    reason: '原因',
    footer: '本取消通知由订单控制台代采购部门发出。',
  },
};

const zhTW: SupplierCopy = {
  greeting: (name) => `${name} 您好：`,
  colon: '：',
  subject: (number) => `採購單 ${number}`,
  intro: (number) => `請依本公司採購單 ${number} 供應下列貨品。`,
  quote: (number) => `請於訂單確認、出貨單及發票上註明 ${number}，並回覆本信確認交貨日期。`,
  deliverTo: '送貨地址',
  labels: {
    number: '採購單號',
    expected: '要求交貨日期',
    sku: 'SKU',
    item: '品名',
    quantity: '數量',
    unitCost: '單價',
    amount: '金額',
    total: '採購總額',
    unknownCost: '待報價',
  },
  signOff: (buyer) => `敬祝 商祺\n${buyer}`,
  footer: '本採購單由訂單主控台代採購部門寄出。',
  cancel: {
    subject: (number) => `取消通知：採購單 ${number}`,
    intro: (number) => `本公司取消先前寄給貴公司的採購單 ${number}，請勿出貨下列貨品。`,
    doNotShip: '已取消的品項',
    confirm: (number) => `如有貨品已經寄出，請於開立發票前回覆本信並註明 ${number}。請回覆本信確認取消。`,
    reason: '原因',
    footer: '本取消通知由訂單主控台代採購部門寄出。',
  },
};

export const SUPPLIER_COPY: Record<Locale, SupplierCopy> = { en, 'zh-CN': zhCN, 'zh-TW': zhTW };

/** Renders one purchase order for its supplier. Pure: same input, same mail. */
export function renderPurchaseOrder(locale: Locale, input: PurchaseOrderMailInput, opts: { timeZone?: string } = {}): RenderedEmail {
  const copy = SUPPLIER_COPY[locale];
  const L = copy.labels;
  const money = (minor: number) => formatMoney(minor, input.currency, locale);
  const w = input.warehouse;
  const costKnown = input.lines.every((l) => l.unitCostMinor > 0);
  const blocks: Block[] = [{ p: copy.intro(input.number) }];
  const head: NonNullable<Block['rows']> = [{ label: L.number, value: input.number, strong: true }];
  if (input.expectedAt) head.push({ label: L.expected, value: formatDate(input.expectedAt, locale, opts.timeZone) });
  blocks.push({ rows: head });
  blocks.push({
    table: {
      head: [L.item, L.sku, L.quantity, L.unitCost, L.amount],
      body: input.lines.map((l) => [
        l.name,
        l.sku,
        String(l.quantity),
        l.unitCostMinor > 0 ? money(l.unitCostMinor) : L.unknownCost,
        l.unitCostMinor > 0 ? money(l.unitCostMinor * l.quantity) : '—',
      ]),
      text: ([name, sku, qty, unit, amount]) => `${qty} × ${sku} ${name}  ${unit}  ${amount}`,
    },
  });
  if (costKnown) blocks.push({ rows: [{ label: L.total, value: money(input.lines.reduce((n, l) => n + l.unitCostMinor * l.quantity, 0)), strong: true }] });
  blocks.push({ rows: [{ label: copy.deliverTo, value: [w.name, w.line1, [w.postalCode, w.city].filter(Boolean).join(' '), w.country].join(', ') }] });
  blocks.push({ p: copy.quote(input.number) });
  return layoutMail(
    {
      locale,
      subject: copy.subject(input.number),
      greeting: copy.greeting(input.supplierName.trim()),
      colon: copy.colon,
      signOff: copy.signOff(input.buyer),
      footer: copy.footer,
    },
    blocks,
  );
}

export interface PurchaseOrderCancellationInput extends Omit<PurchaseOrderMailInput, 'expectedAt'> {
  /** Why, in words the supplier may read (optional). */
  reason?: string | null;
}

/** The notice withdrawing a purchase order the supplier already has, in the supplier's language. Pure. */
export function renderPurchaseOrderCancellation(locale: Locale, input: PurchaseOrderCancellationInput): RenderedEmail {
  const copy = SUPPLIER_COPY[locale];
  const L = copy.labels;
  const w = input.warehouse;
  const head: NonNullable<Block['rows']> = [{ label: L.number, value: input.number, strong: true }];
  if (input.reason?.trim()) head.push({ label: copy.cancel.reason, value: input.reason.trim() });
  const blocks: Block[] = [
    { p: copy.cancel.intro(input.number) },
    { rows: head },
    { p: copy.cancel.doNotShip },
    {
      table: {
        head: [L.item, L.sku, L.quantity],
        body: input.lines.map((l) => [l.name, l.sku, String(l.quantity)]),
        text: ([name, sku, qty]) => `${qty} × ${sku} ${name}`,
      },
    },
    { rows: [{ label: copy.deliverTo, value: [w.name, w.line1, [w.postalCode, w.city].filter(Boolean).join(' '), w.country].join(', ') }] },
    { p: copy.cancel.confirm(input.number) },
  ];
  return layoutMail(
    {
      locale,
      subject: copy.cancel.subject(input.number),
      greeting: copy.greeting(input.supplierName.trim()),
      colon: copy.colon,
      signOff: copy.signOff(input.buyer),
      footer: copy.cancel.footer,
    },
    blocks,
  );
}
