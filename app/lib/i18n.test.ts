import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createI18n, localeFromAcceptLanguage, LOCALES, resources } from './i18n.ts';

type Tree = { [k: string]: string | Tree };
const flatten = (o: Tree, prefix = ''): Record<string, string> =>
  Object.entries(o).reduce<Record<string, string>>(
    (acc, [k, v]) => (typeof v === 'string' ? { ...acc, [prefix + k]: v } : { ...acc, ...flatten(v, `${prefix}${k}.`) }),
    {},
  );

const flat = Object.fromEntries(LOCALES.map((l) => [l, flatten(resources[l].common as unknown as Tree)])) as Record<
  (typeof LOCALES)[number],
  Record<string, string>
>;
const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  for (const locale of LOCALES.filter((l) => l !== 'en')) {
    it(`${locale} has exactly the keys of en`, () => {
      const en = Object.keys(flat.en).sort();
      const other = Object.keys(flat[locale]).sort();
      expect(
        en.filter((k) => !other.includes(k)),
        `missing in ${locale}`,
      ).toEqual([]);
      expect(
        other.filter((k) => !en.includes(k)),
        `extra in ${locale}`,
      ).toEqual([]);
    });

    it(`${locale} keeps every placeholder and leaves nothing empty`, () => {
      for (const [key, value] of Object.entries(flat.en)) {
        expect(flat[locale][key]?.trim(), `${locale}:${key} is empty`).toBeTruthy();
        expect(placeholders(flat[locale][key] ?? ''), `${locale}:${key}`).toEqual(placeholders(value));
      }
    });
  }

  it('has every literal key the code asks for', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(tsx?|ts)$/.test(e.name) && !/\.test\./.test(e.name)) files.push(p);
      }
    };
    walk(path.resolve(__dirname, '..'));
    const missing: string[] = [];
    for (const file of files) {
      const src = fs.readFileSync(file, 'utf8');
      for (const m of src.matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) {
        const key = m[1];
        const known = key in flat.en || `${key}_one` in flat.en || `${key}_other` in flat.en;
        if (!known) missing.push(`${path.relative(process.cwd(), file)}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('renders the same key in each language', () => {
    expect(createI18n('en').t('nav.orders')).toBe('Orders');
    expect(createI18n('zh-CN').t('nav.orders')).toBe('订单');
    expect(createI18n('zh-TW').t('nav.orders')).toBe('訂單');
    expect(createI18n('en').t('common.resultCount', { count: 1 })).toBe('1 result');
    expect(createI18n('en').t('common.resultCount', { count: 3 })).toBe('3 results');
  });
});

describe('localeFromAcceptLanguage', () => {
  it.each([
    [null, 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['zh-CN,zh;q=0.9', 'zh-CN'],
    ['zh-TW', 'zh-TW'],
    ['zh-HK,en;q=0.5', 'zh-TW'],
    ['zh-Hant-TW', 'zh-TW'],
    ['fr-FR,zh-CN;q=0.8', 'zh-CN'],
    ['en;q=0.2,zh-TW;q=0.9', 'zh-TW'],
    ['de-DE', 'en'],
  ])('%s → %s', (header, expected) => {
    expect(localeFromAcceptLanguage(header)).toBe(expected);
  });
});
