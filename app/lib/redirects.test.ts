import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeRedirect, sameOrigin } from './redirects.ts';

describe('redirects after sign-in and language switch', () => {
  it('keeps paths on this site, with their query and hash', () => {
    expect(safeRedirect('/orders?status=paid#top')).toBe('/orders?status=paid#top');
    expect(safeRedirect('/orders/12')).toBe('/orders/12');
    expect(safeRedirect('/')).toBe('/');
  });

  it('refuses every form a browser would read as another host', () => {
    for (const evil of [
      '/\\evil.example',
      '/\\/evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '//evil.example',
      '///evil.example',
      'https://evil.example',
      'evil.example',
      'javascript:alert(1)',
      '/%0a/evil.example'.replace('%0a', '\n'),
      '\\\\evil.example',
      '',
      undefined,
      null,
      42,
    ]) {
      expect(safeRedirect(evil), JSON.stringify(evil)).toBe('/');
    }
  });

  it('never yields anything a browser resolves to another origin', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('/', '\\', '\t', '\n', 'e', '.', ':', '@', '%', '?', '#', ' ', 'x') }), (s) => {
        const to = safeRedirect(s);
        expect(to.startsWith('/')).toBe(true);
        expect(new URL(to, 'https://console.example').origin).toBe('https://console.example');
      }),
      { numRuns: 2000 },
    );
  });

  it('compares Origin with Host exactly', () => {
    expect(sameOrigin('http://localhost:3000', 'localhost:3000')).toBe(true);
    expect(sameOrigin('http://evil.example', 'localhost:3000')).toBe(false);
    expect(sameOrigin('http://localhost:3001', 'localhost:3000')).toBe(false);
    expect(sameOrigin('not a url', 'localhost:3000')).toBe(false);
    expect(sameOrigin('http://localhost:3000', undefined)).toBe(false);
  });
});
