import { describe, expect, it } from 'vitest';
import { entityOf, parseActivityKey, parseDuration, summarize, SUMMARY_LIMIT } from './runs.server.ts';
import { workflowIdFor } from './dispatcher.server.ts';

describe('run history helpers', () => {
  it('keeps summaries short', () => {
    expect(summarize(undefined)).toBeNull();
    expect(summarize({ a: 1 })).toEqual({ a: 1 });
    const big = summarize({ text: 'x'.repeat(10_000) }) as { truncated: boolean; bytes: number; preview: string };
    expect(big).toMatchObject({ truncated: true, bytes: 10_011 });
    expect(JSON.stringify(big).length).toBeLessThanOrEqual(SUMMARY_LIMIT);
  });

  it('reads the visit and the undo mark from an activity key', () => {
    expect(parseActivityKey('order-7:reserve:1', 'order-7')).toEqual({ visit: 1, undo: false });
    expect(parseActivityKey('order-7:reserve:3:undo', 'order-7')).toEqual({ visit: 3, undo: true });
    expect(parseActivityKey('order-7/sub/1:step:2', 'order-7/sub/1')).toEqual({ visit: 2, undo: false });
  });

  it('links a run to what it is about', () => {
    expect(entityOf('order.created', { orderId: 12 })).toEqual({ type: 'Order', id: '12' });
    expect(entityOf('return.requested', { returnId: 5, orderId: 12 })).toEqual({ type: 'ReturnRequest', id: '5' });
    expect(entityOf('stock.low', { levelId: 9 })).toEqual({ type: 'InventoryLevel', id: '9' });
    expect(entityOf('manual', {})).toBeNull();
    expect(parseDuration('1d2h')).toBe(93_600_000);
    expect(parseDuration('soon')).toBeNull();
  });

  it('names runs deterministically', () => {
    const at = new Date('2026-11-23T23:59:00Z');
    expect(workflowIdFor('order.created', { orderId: 42 }, at)).toBe('order-42');
    expect(workflowIdFor('return.requested', { returnId: 7 }, at)).toBe('return-7');
    expect(workflowIdFor('stock.low', { levelId: 3 }, at)).toBe('reorder-3-20261123');
    expect(workflowIdFor('order.created', {}, at)).toBeNull();
    expect(workflowIdFor('order.created', { orderId: '1 or 1=1' }, at)).toBeNull();
  });
});
