// Telling an outage (the database or the network to it is down, restarting or full) from a bug: the
// first is answered 503 with Retry-After, so that a client retries, and the second 500.
import { problem } from './problem.ts';

/** Seconds a client is asked to wait before it retries after an outage. */
export const RETRY_AFTER_SECONDS = 5;

/** Socket-level failures (Node) and PostgreSQL's SQLSTATEs for a server that is gone, going or full. */
const CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '53400',
]);
const MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Connection ended|the database system is (starting up|shutting down|in recovery)|Cannot use a pool after calling end/i;

/** True when `error`, or an error it wraps, says the database (or the way to it) is unavailable. */
export function isOutage(error: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = error;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const { code, sqlState, message } = e as { code?: unknown; sqlState?: unknown; message?: unknown };
    if (typeof code === 'string' && (CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof sqlState === 'string' && (CODES.has(sqlState) || sqlState.startsWith('08'))) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    if (e instanceof AggregateError && e.errors.some(isOutage)) return true;
    e = (e as { cause?: unknown; previous?: unknown }).cause ?? (e as { previous?: unknown }).previous;
  }
  return false;
}

/** The answer to a request that met an outage. Nothing it asked for was written (its transaction rolled back). */
export const unavailable = () =>
  problem(
    503,
    'unavailable',
    { detail: `The service is briefly unavailable; retry in ${RETRY_AFTER_SECONDS} s.` },
    { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  );
