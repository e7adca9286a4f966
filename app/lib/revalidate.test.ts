import { describe, expect, it } from 'vitest';
import { keepOnLiveRefresh } from './revalidate.ts';

type Args = Parameters<typeof keepOnLiveRefresh>[0];
const at = (path: string) => new URL(path, 'http://oms.test');
const args = (over: Partial<Args>): Args =>
  ({
    currentUrl: at('/orders?status=paid'),
    nextUrl: at('/orders?status=paid'),
    currentParams: {},
    nextParams: {},
    defaultShouldRevalidate: true,
    ...over,
  }) as Args;

describe('keepOnLiveRefresh (root and the console shell)', () => {
  it('keeps their data when the page reloads itself (a live refresh)', () => {
    expect(keepOnLiveRefresh(args({}))).toBe(false);
  });
  it('reloads them on a form sent, even to the same address', () => {
    expect(keepOnLiveRefresh(args({ formMethod: 'POST' }))).toBe(true);
  });
  it('follows the router on a navigation elsewhere', () => {
    expect(keepOnLiveRefresh(args({ nextUrl: at('/orders?status=shipped') }))).toBe(true);
    expect(keepOnLiveRefresh(args({ nextUrl: at('/inventory'), defaultShouldRevalidate: false }))).toBe(false);
  });
});
