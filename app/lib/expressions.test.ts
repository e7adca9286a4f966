import { describe, expect, it } from 'vitest';
import { evaluateBounded } from './expressions.ts';

describe('bounded JSONata', () => {
  it('evaluates ordinary expressions as JSONata does', async () => {
    expect(await evaluateBounded('order.total > 100', { order: { total: 150 } })).toBe(true);
    expect(await evaluateBounded('$sum(lines.quantity)', { lines: [{ quantity: 2 }, { quantity: 3 }] })).toBe(5);
  });

  it('stops an expression that never ends, or recurses without bound, within its budget', async () => {
    for (const endless of ['(function($f){ $f($f) })(function($g){ $g($g) })', '( $f := function($n){ $n > 0 ? $f($n - 1) : 0 }; $f(10000000) )']) {
      const t0 = Date.now();
      await expect(evaluateBounded(endless, {}, { timeoutMs: 100, maxDepth: 300 })).rejects.toMatchObject({ name: 'ExpressionLimitError' });
      expect(Date.now() - t0).toBeLessThan(2_000);
    }
  });
});
