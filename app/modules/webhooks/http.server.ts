// Outbound HTTP for webhooks and the designer's HTTP step: through the SSRF guard (connecting to the
// address it judged), with a deadline, no redirects followed, and the answer read up to a limit.
import http from 'node:http';
import https from 'node:https';
import type { EntityManager } from '@mikro-orm/postgresql';
import { db } from '../../lib/db.server.ts';
import { normalHost, pinnedLookup, resolveTarget, type Resolver } from '../../lib/ssrf.server.ts';

export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** The most of the answer's body kept (the rest is read and dropped). */
  maxBytes: number;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
  latencyMs: number;
}

/** A call that got no answer (refused, reset, timed out). */
export class OutboundFailed extends Error {
  readonly latencyMs: number;
  readonly timedOut: boolean;
  constructor(message: string, latencyMs: number, timedOut: boolean) {
    super(message);
    this.name = 'OutboundFailed';
    this.latencyMs = latencyMs;
    this.timedOut = timedOut;
  }
}

/** The admin's allow-list of private hosts (Settings → Webhooks). */
export async function allowedHosts(em: EntityManager): Promise<Set<string>> {
  const rows = await db(em).selectFrom('webhook_allowed_host').select('host').execute();
  return new Set(rows.map((r) => normalHost(r.host)));
}

/** Sends one request through the SSRF guard (throws SsrfRefused, OutboundFailed). */
export async function sendOutbound(req: OutboundRequest, allowed: ReadonlySet<string>, resolve?: Resolver): Promise<OutboundResponse> {
  const target = await resolveTarget(req.url, allowed, resolve);
  const t0 = performance.now();
  const client = target.url.protocol === 'https:' ? https : http;
  return new Promise<OutboundResponse>((done, fail) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const elapsed = () => Math.round(performance.now() - t0);
    const request = client.request(
      target.url,
      {
        method: req.method,
        headers: {
          'user-agent': 'oms-console-webhooks/1',
          ...req.headers,
          ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
        },
        lookup: pinnedLookup(target),
        servername: target.url.protocol === 'https:' ? target.url.hostname : undefined,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (kept >= req.maxBytes) {
            truncated = true;
            return;
          }
          const part = chunk.subarray(0, req.maxBytes - kept);
          if (part.length < chunk.length) truncated = true;
          chunks.push(part);
          kept += part.length;
        });
        res.on('end', () =>
          finish(() =>
            done({
              status: res.statusCode ?? 0,
              headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')])),
              body: Buffer.concat(chunks).toString('utf8'),
              truncated,
              latencyMs: elapsed(),
            }),
          ),
        );
        res.on('error', (e) => finish(() => fail(new OutboundFailed(e.message, elapsed(), false))));
      },
    );
    const timer = setTimeout(() => {
      finish(() => fail(new OutboundFailed(`no answer within ${req.timeoutMs} ms`, elapsed(), true)));
      request.destroy();
    }, req.timeoutMs);
    request.on('error', (e) => finish(() => fail(new OutboundFailed(e.message, elapsed(), false))));
    if (req.body !== undefined) request.write(req.body);
    request.end();
  });
}
