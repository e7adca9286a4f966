import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES } from '../../../entities/constants.ts';
import { CANCELLABLE, canTransition, TERMINAL, TRANSITIONS } from './status.ts';

describe('order state machine', () => {
  it('covers every status and names only real ones', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ORDER_STATUSES].sort());
    for (const targets of Object.values(TRANSITIONS)) for (const t of targets) expect(ORDER_STATUSES).toContain(t);
  });

  it('follows the designed happy path', () => {
    const path = ['received', 'validated', 'awaiting_payment', 'paid', 'allocated', 'picking', 'packed', 'shipped', 'delivered', 'completed'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1], path[i]), `${path[i - 1]} → ${path[i]}`).toBe(true);
  });

  it('refuses skipping ahead and going back', () => {
    expect(canTransition('received', 'shipped')).toBe(false);
    expect(canTransition('awaiting_payment', 'allocated')).toBe(false);
    expect(canTransition('shipped', 'paid')).toBe(false);
    expect(canTransition('delivered', 'cancelled')).toBe(false);
  });

  it('ends in cancelled and returned', () => {
    expect([...TERMINAL].sort()).toEqual(['cancelled', 'returned']);
  });

  it('allows cancelling only before the parcel leaves', () => {
    expect(CANCELLABLE).toContain('on_hold');
    expect(CANCELLABLE).toContain('picking');
    expect(CANCELLABLE).not.toContain('packed');
    expect(CANCELLABLE).not.toContain('shipped');
  });

  it('lets every status except the terminal ones move on', () => {
    for (const s of ORDER_STATUSES) expect(TRANSITIONS[s].length > 0 || TERMINAL.includes(s)).toBe(true);
  });
});
