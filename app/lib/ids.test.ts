import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrors } from './problem.ts';
import { Id, MAX_ID, parseId, routeId } from './ids.ts';

describe('row ids', () => {
  it('takes every int4 id, ten digits included', () => {
    expect(parseId('1')).toBe(1);
    expect(parseId('123456789')).toBe(123_456_789);
    expect(parseId('1234567890')).toBe(1_234_567_890);
    expect(parseId(String(MAX_ID))).toBe(2_147_483_647);
    expect(parseId('0042')).toBe(42);
  });

  it('names no row with zero, a number beyond int4, or anything but digits', () => {
    for (const text of [
      '0',
      '0000',
      '2147483648',
      '9999999999',
      '12345678901',
      '-1',
      '+1',
      '1.0',
      '1e3',
      '0x10',
      ' 1',
      '1 ',
      '1,2',
      'SO-1001',
      '',
      null,
      undefined,
    ]) {
      expect(parseId(text), String(text)).toBeNull();
    }
  });

  it('reads a form or JSON id, number or digits, and names the field when it is none', () => {
    const Form = z.object({ id: Id });
    expect(Form.parse({ id: '77' })).toEqual({ id: 77 });
    expect(Form.parse({ id: 77 })).toEqual({ id: 77 });
    const codes = (id: unknown) => {
      const r = Form.safeParse({ id });
      return r.success ? null : fieldErrors(r.error).map((e) => `${e.field}:${e.code}`);
    };
    expect(codes('2147483648')).toEqual(['id:too_big']);
    expect(codes(0)).toEqual(['id:too_small']);
    expect(codes('abc')).toEqual(['id:invalid_format']);
    expect(codes(1.5)).toEqual(['id:invalid_format']);
    expect(codes(undefined)).toEqual(['id:required']);
  });

  it('answers a route param that is no id with a 404 problem', async () => {
    expect(routeId('2147483647', 'order')).toBe(MAX_ID);
    let thrown: unknown;
    try {
      routeId('2147483648', 'order');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Response);
    const res = thrown as Response;
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'not_found', detail: 'No order 2147483648.' });
  });
});
