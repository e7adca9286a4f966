// The service desk's demo settings: a few canned responses in the three languages, macros that use
// them (among them "Refund damaged item": refund a line → reply → tag damaged → solve), and the
// agents' refund approval limits (100.00 per ticket, 300.00 per day in the base currency).
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../../app/lib/audit.server.ts';
import { saveCanned } from '../../app/modules/service/canned.server.ts';
import { saveLimits, saveMacro } from '../../app/modules/service/macros.server.ts';

const CANNED = [
  {
    name: 'Damaged item refunded',
    tags: 'damaged, refund',
    bodies: {
      en: 'We are sorry your item from order {{ order.number }} arrived damaged. We have refunded it; the money reaches your account in a few days.\n\nYou can follow your order here: {{ order.tracking_url }}',
      'zh-CN': '很抱歉，您订单 {{ order.number }} 中的商品到货时已损坏。我们已为您退款，款项将在几天内到账。\n\n您可以在此查看订单：{{ order.tracking_url }}',
      'zh-TW': '很抱歉，您訂單 {{ order.number }} 中的商品送達時已損壞。我們已為您退款，款項將在幾天內入帳。\n\n您可以在此查看訂單：{{ order.tracking_url }}',
    },
  },
  {
    name: 'Where is my order',
    tags: 'tracking',
    bodies: {
      en: 'Your order {{ order.number }} is {{ order.status }}. Follow it here: {{ order.tracking_url }}',
      'zh-CN': '您的订单 {{ order.number }} 当前状态：{{ order.status }}。查看进度：{{ order.tracking_url }}',
      'zh-TW': '您的訂單 {{ order.number }} 目前狀態：{{ order.status }}。查看進度：{{ order.tracking_url }}',
    },
  },
  {
    name: 'Return opened',
    tags: 'return',
    bodies: {
      en: 'We have opened return {{ return.number }} for you. The instructions are on your order page: {{ return.label_url }}',
      'zh-CN': '我们已为您创建退货单 {{ return.number }}。退货说明见订单页面：{{ return.label_url }}',
      'zh-TW': '我們已為您建立退貨單 {{ return.number }}。退貨說明見訂單頁面：{{ return.label_url }}',
    },
  },
];

export async function seedDeskMacros(orm: MikroORM, actor: Actor): Promise<void> {
  const ids: Record<string, number> = {};
  for (const c of CANNED) ids[c.name] = (await saveCanned(orm, null, c, actor)).id;
  await saveMacro(
    orm,
    null,
    {
      name: 'Refund damaged item',
      active: true,
      inputs: [
        { key: 'line', type: 'line', label: 'Damaged item', required: true },
        { key: 'quantity', type: 'quantity', label: 'Quantity', required: true },
      ],
      actions: [
        { type: 'refund', line: 'line', quantity: 'quantity', reason: 'damaged' },
        { type: 'reply', cannedId: ids['Damaged item refunded'], status: 'pending' },
        { type: 'tag', tags: ['damaged'] },
        { type: 'set_status', status: 'solved' },
      ],
    },
    actor,
  );
  await saveMacro(
    orm,
    null,
    {
      name: 'Return for exchange',
      active: true,
      inputs: [
        { key: 'line', type: 'line', label: 'Item', required: true },
        { key: 'quantity', type: 'quantity', label: 'Quantity', required: true },
        { key: 'reason', type: 'reason', label: 'Reason', required: true },
      ],
      actions: [
        { type: 'open_return', line: 'line', quantity: 'quantity', reason: 'reason', resolution: 'exchange' },
        { type: 'reply', cannedId: ids['Return opened'], status: 'pending' },
        { type: 'tag', tags: ['return'] },
      ],
    },
    actor,
  );
  await saveMacro(
    orm,
    null,
    {
      name: 'Where is my order',
      active: true,
      inputs: [],
      actions: [
        { type: 'resend_mail', template: 'order_shipped' },
        { type: 'reply', cannedId: ids['Where is my order'], status: 'solved' },
        { type: 'tag', tags: ['wismo'] },
      ],
    },
    actor,
  );
  await saveLimits(orm, { 'agent.perTicket': '100.00', 'agent.perDay': '300.00' }, actor);
}
