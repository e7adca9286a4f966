import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrors, problem, validationProblem } from './problem.ts';

describe('problem details', () => {
  it('answers application/problem+json with a stable code and message key', async () => {
    const res = problem(409, 'insufficient_stock', { field: 'lines.0.quantity', detail: 'SKU-1 has 2 left' });
    expect(res.status).toBe(409);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 409, code: 'insufficient_stock', messageKey: 'errors.insufficient_stock', field: 'lines.0.quantity' });
  });

  it('names each field at fault', async () => {
    const schema = z.object({ email: z.string().email(), lines: z.array(z.object({ quantity: z.number().int().min(1) })) });
    const r = schema.safeParse({ email: 'nope', lines: [{ quantity: 0 }] });
    expect(r.success).toBe(false);
    if (r.success) return;
    const errors = fieldErrors(r.error);
    expect(errors.map((e) => e.field)).toEqual(['email', 'lines.0.quantity']);
    expect(errors[1]).toMatchObject({ code: 'too_small', messageKey: 'errors.validation.too_small', params: { min: 1 } });
    const body = await validationProblem(r.error).json();
    expect(body).toMatchObject({ status: 422, code: 'validation_failed', field: 'email' });
  });

  it('calls a missing field required', () => {
    const r = z.object({ name: z.string() }).safeParse({});
    expect(r.success || fieldErrors(r.error)[0]).toMatchObject({ field: 'name', code: 'required' });
  });
});
