// Shared plumbing for /api/v1 routes: JSON in, JSON or problem+json out, never an unexplained 500.
import { DomainError } from './errors.ts';
import { z } from 'zod';
import { problem, validationProblem } from './problem.ts';
import { parseJson } from './boundary.ts';
import { invalidInput, parsedJson } from './http.server.ts';
import { isOutage, unavailable } from './outage.ts';

/** Runs an API handler; refusals become problem+json, thrown Responses pass through, the rest is a logged 500. */
export async function api(handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (e) {
    return errorResponse(e);
  }
}

/** What a thrown value answers: a Response as it is, a domain refusal as problem+json, an outage 503, the rest a logged 500. */
export function errorResponse(e: unknown): Response {
  if (e instanceof Response) return e;
  if (e instanceof DomainError) return e.toProblem();
  if (isOutage(e)) return unavailable();
  if (e instanceof z.ZodError) return validationProblem(e);
  console.error('[api] unexpected error', e);
  return problem(500, 'internal', { detail: 'An unexpected error occurred; it has been logged.' });
}

/** The JSON body (parsed and checked once, at the door), or 415 / 400. */
export async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get('Content-Type') ?? '';
  if (!/\bjson\b/.test(type)) throw problem(415, 'unsupported_media_type', { detail: 'Send the body as application/json.' });
  const atDoor = parsedJson(request);
  if (atDoor) return atDoor.value;
  const parsed = parseJson(await request.text());
  if (parsed.ok) return parsed.value;
  throw parsed.fault ? invalidInput(parsed.fault) : problem(400, 'invalid_json', { detail: 'The body is not valid JSON.' });
}

export const json = (body: unknown, status = 200, headers?: HeadersInit) => Response.json(body, { status, headers });

export function methodNotAllowed(allowed: string[]): Response {
  return problem(405, 'method_not_allowed', { detail: `Use ${allowed.join(' or ')}.` }, { Allow: allowed.join(', ') });
}
