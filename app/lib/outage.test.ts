import { DriverException } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { isOutage } from './outage.ts';

const err = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), extra);

describe('outage or bug', () => {
  it('counts a database that is gone, going or full as an outage, however wrapped', () => {
    expect(isOutage(err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isOutage(err('terminating connection due to administrator command', { code: '57P01' }))).toBe(true);
    expect(isOutage(err('the database system is starting up', { code: '57P03' }))).toBe(true);
    expect(isOutage(err('sorry, too many clients already', { code: '53300' }))).toBe(true);
    expect(isOutage(err('Connection terminated unexpectedly'))).toBe(true);
    expect(isOutage(err('timeout exceeded when trying to connect'))).toBe(true);
    expect(isOutage(new DriverException(err('connection failure', { code: '08006' })))).toBe(true);
    expect(isOutage(err('outer', { cause: err('inner', { code: 'ECONNRESET' }) }))).toBe(true);
    expect(isOutage(new AggregateError([err('x'), err('y', { code: 'ECONNREFUSED' })]))).toBe(true);
  });

  it('does not count bugs and refusals', () => {
    expect(isOutage(err('column "x" does not exist', { code: '42703' }))).toBe(false);
    expect(isOutage(err('duplicate key value', { code: '23505' }))).toBe(false);
    expect(isOutage(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isOutage(null)).toBe(false);
    expect(isOutage('ECONNREFUSED')).toBe(false);
    const loop: Record<string, unknown> = { message: 'x' };
    loop.cause = loop;
    expect(isOutage(loop)).toBe(false);
  });
});
