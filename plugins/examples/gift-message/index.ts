// A sample plugin from outside the built-in catalogue: the shape a retailer's own node-type package takes.
// Named in OMS_PLUGINS (`OMS_PLUGINS=./plugins/examples/gift-message`, as `npm start` does for the demo), it
// is loaded by the worker and the web process at start: its step appears in the designer's palette in
// three languages, and the worker runs its activity. Nothing in the console names it.
//
// A plugin is a default export with:
//   id          lower-case, unique; every node type and activity is named `<id>.<name>`
//   nodes       node types as the built-in plugins declare them (plugins/types.ts), with a zod config
//   locales     en / zh-CN / zh-TW texts, found under `plugins.<id>.` by the node types' keys
//   activities  (deps) => { '<id>.<name>': async (input) => ({ handle, output }) }, idempotent by input.key
import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { defineNode } from '../../types.ts';
import type { ExternalPlugin } from '../../external.ts';
import { orderNumberAndStatus } from '../../../app/modules/orders/service.server.ts';

const plugin: ExternalPlugin = {
  id: 'gift',
  nodes: [
    defineNode({
      type: 'gift.message',
      category: 'integrations',
      labelKey: 'plugins.gift.message.label',
      descriptionKey: 'plugins.gift.message.description',
      config: z.object({
        message: z.string().trim().min(1).max(200),
        wrap: z.enum(['none', 'paper', 'box']).default('paper'),
      }),
      outputs: ['ok'],
      requiredOutputs: [],
      run: { kind: 'activity', activity: 'gift.message' },
    }),
  ],
  locales: {
    en: { message: { label: 'Gift message', description: 'Writes a gift card for the order (sample plugin).' } },
    'zh-CN': { message: { label: '礼品留言', description: '为订单写一张礼品卡（示例插件）。' } },
    'zh-TW': { message: { label: '禮品留言', description: '為訂單寫一張禮品卡（範例外掛）。' } },
  },
  activities: (deps) => ({
    /** The card's text for the run's order; the same for a retried step, so it is idempotent as it stands. */
    'gift.message': async (input) => {
      const orderId = Number(input.context.trigger.payload?.orderId);
      if (!Number.isInteger(orderId) || orderId <= 0) throw new Error('gift.message needs orderId in the trigger payload');
      const order = await orderNumberAndStatus((deps.orm as MikroORM).em.fork(), orderId);
      const message = String(input.config.message ?? '').trim();
      const wrap = String(input.config.wrap ?? 'paper');
      return { handle: 'ok', output: { orderId, card: `${message} — ${order?.number ?? orderId}`, wrap } };
    },
  }),
};

export default plugin;
