// The designer's HTTP request step (plugins/http): one call to a service, through the SSRF guard, with
// its own deadline and retries, an Idempotency-Key derived from the step's key, header values that may
// name secrets (`{{secret:ERP_TOKEN}}` → env OMS_SECRET_ERP_TOKEN, never stored in the flow or the run),
// and the answer (status, JSON body) as the step's output.
import crypto from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { DomainError } from '../../lib/errors.ts';
import { SsrfRefused } from '../../lib/ssrf.server.ts';
import { allowedHosts, OutboundFailed, sendOutbound } from './http.server.ts';

import type { HttpMethod } from './events.ts';

export { HTTP_METHODS, type HttpMethod } from './events.ts';

/** The most of an answer's body a step keeps (its output lives in the run's history). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface HttpStepRequest {
  /** The step's activity key (workflow id, node id, visit): the Idempotency-Key is derived from it. */
  key: string;
  method: HttpMethod;
  url: string;
  headers: { name: string; value: string }[];
  /** Text as is; anything else (what a JSONata body gave) as JSON; undefined or '' sends none. */
  body: unknown;
  timeoutMs: number;
  retries: number;
  /** Back-off between the step's own retries. */
  retryDelayMs?: number;
}

export interface HttpStepResult {
  ok: boolean;
  status: number | null;
  body: unknown;
  truncated?: boolean;
  error?: string;
  refused?: string;
  attempts: number;
}

const SECRET = /\{\{\s*secret:([A-Z0-9_]{1,64})\s*\}\}/g;

/** A header value with its `{{secret:NAME}}` references filled from the environment (a missing secret is refused). */
export function fillSecrets(value: string, env: Record<string, string | undefined> = process.env): string {
  return value.replace(SECRET, (_, name: string) => {
    const v = env[`OMS_SECRET_${name}`];
    if (v === undefined) throw new DomainError(422, 'missing_secret', `secret ${name} is not configured (OMS_SECRET_${name})`, { params: { name } });
    return v;
  });
}

export const idempotencyKey = (key: string): string => crypto.createHash('sha256').update(key).digest('hex').slice(0, 40);

const parseBody = (text: string, type: string | undefined): unknown => {
  if (type?.includes('json') || /^\s*[[{"]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
};

/** Sends the step's request (up to `retries` times on no answer or a 5xx / 429); never throws for an answer. */
export async function runHttpStep(orm: MikroORM, req: HttpStepRequest): Promise<HttpStepResult> {
  const headers: Record<string, string> = { 'idempotency-key': idempotencyKey(req.key), accept: 'application/json' };
  for (const h of req.headers) headers[h.name.toLowerCase()] = fillSecrets(h.value);
  let body: string | undefined;
  if (req.method !== 'GET' && req.body !== undefined && req.body !== null && req.body !== '') {
    if (typeof req.body === 'string') body = req.body;
    else {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  const allowed = await allowedHosts(orm.em.fork());
  const tries = Math.max(1, req.retries);
  let last: HttpStepResult = { ok: false, status: null, body: null, attempts: 0 };
  for (let attempt = 1; attempt <= tries; attempt++) {
    try {
      const res = await sendOutbound({ method: req.method, url: req.url, headers, body, timeoutMs: req.timeoutMs, maxBytes: MAX_RESPONSE_BYTES }, allowed);
      const ok = res.status >= 200 && res.status < 300;
      last = {
        ok,
        status: res.status,
        body: parseBody(res.body, res.headers['content-type']),
        attempts: attempt,
        ...(res.truncated ? { truncated: true } : {}),
      };
      if (!ok) last.error = `HTTP ${res.status}`;
      if (ok || (res.status < 500 && res.status !== 429)) return last;
    } catch (e) {
      if (e instanceof SsrfRefused) return { ok: false, status: null, body: null, error: e.message, refused: e.code, attempts: attempt };
      if (!(e instanceof OutboundFailed)) throw e;
      last = { ok: false, status: null, body: null, error: e.message, attempts: attempt };
    }
    if (attempt < tries) await new Promise((r) => setTimeout(r, (req.retryDelayMs ?? 500) * 2 ** (attempt - 1)));
  }
  return last;
}
