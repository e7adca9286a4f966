import { describe, expect, it } from 'vitest';
import { parsePrintQuery, printHref } from './print.ts';

const parse = (href: string) => parsePrintQuery(new URL(href, 'http://console.test').searchParams);

describe('the print page address', () => {
  it('carries list ids and refusals there and back, ten-digit ids included', () => {
    expect(parse(printHref([7, 2_147_483_647, 7], [{ orderId: 1_234_567_890, reason: 'on_hold' }]))).toEqual({
      ids: [7, 2_147_483_647],
      refused: [{ orderId: 1_234_567_890, reason: 'on_hold' }],
    });
  });

  it('names no list for ids beyond int4, zero or junk, and drops refusals it cannot read', () => {
    for (const ids of ['2147483648', '0', '1,x', '12345678901', '-3', '']) expect(parse(`/p?ids=${ids}`).ids, ids).toEqual([]);
    expect(parse('/p?ids=1&refused=2147483648:on_hold').refused).toBeUndefined();
    expect(parse('/p?ids=1&refused=5:no_such_reason').refused).toBeUndefined();
  });
});
