import { describe, expect, it } from 'vitest';
import { resources } from '../app/lib/i18n.ts';
import { CATEGORIES } from './types.ts';
import { NODE_TYPES, PLUGINS } from './index.ts';

const get = (tree: unknown, key: string) =>
  key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), tree);

describe('node catalogue', () => {
  it('has unique types from every plugin', () => {
    expect(NODE_TYPES.size).toBe(PLUGINS.reduce((n, p) => n + p.nodes.length, 0));
  });

  it('names every node type and category in every language', () => {
    for (const lng of ['en', 'zh-CN', 'zh-TW'] as const) {
      for (const n of NODE_TYPES.values()) {
        expect(get(resources[lng].common, n.labelKey), `${lng} ${n.labelKey}`).toBeTypeOf('string');
        expect(get(resources[lng].common, n.descriptionKey), `${lng} ${n.descriptionKey}`).toBeTypeOf('string');
      }
      for (const c of CATEGORIES) expect(get(resources[lng].common, `nodeCategories.${c}`), `${lng} ${c}`).toBeTypeOf('string');
    }
  });

  it('names every choice the designer offers in a step’s settings, in every language', () => {
    // As the config form shows them: a choice by `configValues.<value>`, a list of roles by `roles.<role>`.
    type Def = { type: string; innerType?: Schema; element?: Schema; entries?: Record<string, string>; shape?: Record<string, Schema> };
    type Schema = { _zod: { def: Def } };
    const unwrap = (s: Schema): Def => (['optional', 'default'].includes(s._zod.def.type) ? unwrap(s._zod.def.innerType!) : s._zod.def);
    const keys = [...NODE_TYPES.values()].flatMap((n) =>
      Object.values((n.config as unknown as Schema)._zod.def.shape ?? {}).flatMap((field) => {
        const d = unwrap(field);
        if (d.type === 'enum') return Object.values(d.entries!).map((v) => ['configValues', v]);
        if (d.type === 'array' && unwrap(d.element!).type === 'enum') return Object.values(unwrap(d.element!).entries!).map((v) => ['roles', v]);
        return [];
      }),
    );
    expect(keys).toContainEqual(['configValues', 'warehouse_default']);
    for (const lng of ['en', 'zh-CN', 'zh-TW'] as const) {
      // A value may hold a dot (`order.created`): i18next finds it as one key under its group.
      for (const [group, value] of keys)
        expect((get(resources[lng].common, group) as Record<string, unknown>)[value], `${lng} ${group}.${value}`).toBeTypeOf('string');
    }
  });

  it('runs as local activities only steps on our own database, never a call to a provider, carrier or supplier', () => {
    const local = [...NODE_TYPES.values()]
      .filter((n) => n.run.kind === 'activity' && n.run.local)
      .map((n) => n.type)
      .sort();
    expect(local).toEqual([
      'fulfilment.pickList',
      'notifications.alert',
      'notifications.email',
      'orders.hold',
      'orders.reserve',
      'orders.route',
      'orders.validate',
      'service.openTicket',
    ]);
  });

  it('declares a compensation for every step that changes money or stock', () => {
    for (const type of ['orders.reserve', 'payments.authorise', 'payments.capture', 'fulfilment.pickList', 'returns.restock', 'inventory.draftPo']) {
      const run = NODE_TYPES.get(type)!.run;
      expect(run.kind === 'activity' && run.compensation, type).toBeTruthy();
    }
  });
});
