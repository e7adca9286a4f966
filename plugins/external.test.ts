import { describe, expect, it } from 'vitest';
import { loadExternalPlugins, pluginActivities, pluginDescriptors } from '../app/lib/plugins.server.ts';
import { resources } from '../app/lib/i18n.ts';
import { nodesOf } from './external.ts';
import { NODE_TYPES } from './index.ts';

const quiet = { info: () => {}, warn: () => {} };
const get = (tree: unknown, key: string) =>
  key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), tree);

describe('plugins from outside the catalogue', () => {
  it('loads the sample: its step joins the catalogue with texts in three languages and an activity', async () => {
    const r = await loadExternalPlugins(['./plugins/examples/gift-message'], { log: quiet });
    expect(r.refused).toEqual([]);
    expect(NODE_TYPES.get('gift.message')?.category).toBe('integrations');
    expect(get(resources.en.common, 'plugins.gift.message.label')).toBe('Gift message');
    expect(get(resources['zh-CN'].common, 'plugins.gift.message.label')).toBe('礼品留言');
    expect(get(resources['zh-TW'].common, 'plugins.gift.message.label')).toBe('禮品留言');
    expect(Object.keys(pluginActivities({ orm: null }))).toEqual(['gift.message']);
    // Loading it again (the web and the worker both ask) changes nothing.
    expect((await loadExternalPlugins(['./plugins/examples/gift-message'], { log: quiet })).loaded.map((p) => p.id)).toEqual(['gift']);
  });

  it('sends the browser a description it rebuilds into the same config rules', async () => {
    await loadExternalPlugins(['./plugins/examples/gift-message'], { log: quiet });
    const [d] = pluginDescriptors();
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    const [node] = nodesOf(d);
    expect(node.config.parse({ message: 'Happy birthday' })).toEqual({ message: 'Happy birthday', wrap: 'paper' });
    expect(node.config.safeParse({ message: '' }).success).toBe(false);
    expect(node.config.safeParse({ message: 'x', wrap: 'bag' }).success).toBe(false);
    expect(node.config.safeParse({ message: 'x'.repeat(201) }).success).toBe(false);
  });

  it('refuses a broken plugin with the reason and loads the rest', async () => {
    const r = await loadExternalPlugins(
      [
        './tests/fixtures/plugins/throws',
        './tests/fixtures/plugins/bad-type',
        './tests/fixtures/plugins/untranslated',
        './no/such/plugin',
        'no-such-package-xyz',
      ],
      { log: quiet },
    );
    expect(r.loaded).toEqual([]);
    const why = Object.fromEntries(r.refused.map((x) => [x.spec, x.reason]));
    expect(why['./tests/fixtures/plugins/throws']).toMatch(/missing ERP_URL/);
    expect(why['./tests/fixtures/plugins/bad-type']).toMatch(/types must be named "badtype\.<name>"/);
    expect(why['./tests/fixtures/plugins/untranslated']).toMatch(/no zh-TW text/);
    expect(why['./no/such/plugin']).toMatch(/no plugin at/);
    expect(why['no-such-package-xyz']).toBeTruthy();
    expect(NODE_TYPES.has('untranslated.x')).toBe(false);
  });
});
