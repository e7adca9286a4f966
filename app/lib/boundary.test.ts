import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DateText, DateTimeText, findFault, isCleanText, MAX_DEPTH } from './boundary.ts';

const LONE = ['\ud83d', '\udc00', 'a\ud800b'];

/** JSON that itself breaks no rule (fast-check makes NUL and __proto__ keys on purpose). */
const clean = fc.jsonValue({ maxDepth: 4 }).filter((v) => {
  const t = JSON.stringify(v);
  return !/\\u(0000|d[89a-f])/i.test(t) && !t.includes('"__proto__"');
});
/** A JSON value with one bad string somewhere inside, and the path to it. */
const poisoned = fc
  .tuple(clean, fc.constantFrom('\u0000', ...LONE), fc.array(fc.constantFrom('a', 'b', 'lines', '0'), { maxLength: 5 }), fc.boolean())
  .map(([base, bad, path, asKey]) => {
    let value: unknown = asKey ? { [`k${bad}`]: 1 } : `x${bad}y`;
    for (const step of [...path].reverse()) value = { [step]: value, other: base };
    return { value, path: [...path, ...(asKey ? [`k${bad}`] : [])].join('.') || '_' };
  });

describe('the boundary rule', () => {
  it('finds NUL or a lone surrogate anywhere in a value, in keys too, and names the path', () => {
    fc.assert(
      fc.property(poisoned, ({ value, path }) => {
        const fault = findFault(value);
        expect(fault?.field).toBe(path);
        expect(['nul_character', 'lone_surrogate']).toContain(fault?.code);
      }),
    );
  });

  it('passes every clean JSON value (paired surrogates, CJK and emoji included)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        // (fast-check generates NUL, lone surrogates and __proto__ keys on purpose; the rule refuses those, tested above and below.)
        fc.pre(!/\\u(0000|d[89a-f])/i.test(text) && !text.includes('"__proto__"'));
        expect(findFault(value)).toBeNull();
      }),
    );
    expect(findFault({ name: '王小明 😀', note: 'ok' })).toBeNull();
    expect(isCleanText('😀')).toBe(true);
    for (const bad of ['\u0000', ...LONE]) expect(isCleanText(bad)).toBe(false);
  });

  it('refuses nesting past MAX_DEPTH without recursion (20,000 levels do not overflow the stack), and __proto__ keys', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(findFault(deep)).toMatchObject({ code: 'too_deep' });
    let ok: unknown = 1;
    for (let i = 0; i < MAX_DEPTH; i++) ok = { a: ok };
    expect(findFault(ok)).toBeNull();
    expect(findFault(JSON.parse('{"a":{"__proto__":{"admin":true}}}'))).toMatchObject({ field: 'a.__proto__', code: 'forbidden_key' });
  });

  it('keeps dates between 1970 and 2099', () => {
    expect(DateTimeText.safeParse('2026-12-06T10:00:00Z').success).toBe(true);
    expect(DateTimeText.safeParse('2026-12-06T10:00:00+08:00').success).toBe(true);
    for (const bad of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '2100-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 'yesterday']) {
      expect(DateTimeText.safeParse(bad).success, bad).toBe(false);
    }
    const r = DateText.safeParse('0000-01-01');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ code: 'custom', params: { code: 'date_out_of_range' } });
    fc.assert(
      fc.property(fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }), (d) => {
        const sane = d.getTime() >= Date.UTC(1970, 0, 1) && d.getTime() < Date.UTC(2100, 0, 1);
        const iso = d.toISOString();
        // toISOString writes years beyond 9999 as +YYYYYY, which is no RFC 3339 date at all.
        expect(DateTimeText.safeParse(iso).success).toBe(sane && /^\d{4}-/.test(iso));
      }),
    );
  });
});
