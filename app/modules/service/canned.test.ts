import { describe, expect, it } from 'vitest';
import { bodyFor, CANNED_VARIABLES, parseCanned, renderCanned } from './canned.ts';

const values = {
  'customer.name': 'Ada',
  'order.number': 'SO-001234',
  'order.tracking_url': 'https://shop.example/track/abc',
  'agent.name': 'Olivia',
  'store.name': 'Demo Shop',
} as const;

describe('canned responses', () => {
  it('renders the variables for a ticket, as plain text (no HTML escaping)', async () => {
    const r = await renderCanned(
      'Hello {{ customer.name }} & co, order {{ order.number }}: {{ order.tracking_url }}\n— {{ agent.name }}, {{ store.name }}',
      values,
    );
    expect(r).toEqual({ ok: true, unknown: [], text: 'Hello Ada & co, order SO-001234: https://shop.example/track/abc\n— Olivia, Demo Shop' });
  });

  it('renders a variable with no value, and an unknown one, as nothing, and reports the unknown ones', async () => {
    const r = await renderCanned('A{{ return.number }}B{{ custmer.name }}C{{ order.secret.deep }}', values);
    expect(r).toEqual({ ok: true, text: 'ABC', unknown: ['custmer.name', 'order.secret.deep'] });
  });

  it('does not count a variable the template assigns itself as unknown', () => {
    const p = parseCanned('{% assign greeting = "Hi" %}{{ greeting }} {{ customer.name | upcase }}');
    expect(p.ok && p.unknown).toEqual([]);
  });

  it('refuses a template that does not parse, naming why', () => {
    const p = parseCanned('Hello {% if customer.name %}');
    expect(p.ok).toBe(false);
    expect(!p.ok && p.message).toMatch(/if/);
    expect(parseCanned('{{ x | no_such_filter }}').ok).toBe(false);
  });

  it('never reads files: include, render and layout are refused when parsed', async () => {
    for (const t of ['{% include "/etc/passwd" %}', "{% render 'secrets' %}", '{% layout "x" %}']) {
      const p = parseCanned(t);
      expect(p.ok, t).toBe(false);
      const r = await renderCanned(t, values);
      expect(r.ok, t).toBe(false);
    }
  });

  it('stops a template that would run too long or too big', async () => {
    const r = await renderCanned('{% for i in (1..100000000) %}{{ i }}{% endfor %}', values);
    expect(r.ok).toBe(false);
    expect(parseCanned('x'.repeat(20_001)).ok).toBe(false);
  });

  it('knows every variable the desk documents', () => {
    expect(CANNED_VARIABLES).toContain('order.carrier_tracking');
    expect(CANNED_VARIABLES).toContain('return.label_url');
  });

  it('picks the body in the ticket’s language, else English', () => {
    const bodies = { en: 'Hello', 'zh-CN': '您好', 'zh-TW': '' };
    expect(bodyFor(bodies, 'zh-CN')).toEqual({ locale: 'zh-CN', body: '您好' });
    expect(bodyFor(bodies, 'zh-TW')).toEqual({ locale: 'en', body: 'Hello' });
    expect(bodyFor({ 'zh-TW': '您好' }, 'en')).toEqual({ locale: 'zh-TW', body: '您好' });
  });
});
