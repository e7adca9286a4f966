// Shared plumbing for /api/v1 routes: JSON in, JSON or problem+json out, never an unexplained 500.
import { DomainError } from './errors.ts';
import { problem } from './problem.ts';

/** Runs an API handler; refusals become problem+json, thrown Responses pass through, the rest is a logged 500. */
export async function api(handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (e) {
    if (e instanceof Response) return e;
    if (e instanceof DomainError) return e.toProblem();
    console.error('[api] unexpected error', e);
    return problem(500, 'internal', { detail: 'An unexpected error occurred; it has been logged.' });
  }
}

export async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get('Content-Type') ?? '';
  if (!/\bjson\b/.test(type)) throw problem(415, 'unsupported_media_type', { detail: 'Send the body as application/json.' });
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw problem(400, 'invalid_json', { detail: 'The body is not valid JSON.' });
  }
}

export const json = (body: unknown, status = 200, headers?: HeadersInit) => Response.json(body, { status, headers });

export function methodNotAllowed(allowed: string[]): Response {
  return problem(405, 'method_not_allowed', { detail: `Use ${allowed.join(' or ')}.` }, { Allow: allowed.join(', ') });
}
