// The web runtime's door: every request's body is read once (with a size limit), checked against the
// one boundary rule (boundary.ts) before any route sees it, and handed to the API or to Remix as a Fetch
// Request. A refused request reaches no loader or action, so it writes nothing.
import type { Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express';
import { createRequestHandler, writeReadableStreamToWritable, type AppLoadContext, type ServerBuild } from '@remix-run/node';
import { findFault, parseJson } from './boundary.ts';
import { problem, type FieldError } from './problem.ts';
import { isOutage, RETRY_AFTER_SECONDS, unavailable } from './outage.ts';
import { createI18n, isLocale, LOCALE_COOKIE, localeFromAcceptLanguage } from './i18n.ts';

/** Largest body the API takes (a bulk order of 200 lines is a few tens of kB). */
const MAX_API_BODY_BYTES = 5_000_000;
/** Largest form post a page takes (the console's forms are a few kB; CSV files are sent order by order to the API). */
const MAX_PAGE_BODY_BYTES = 1_000_000;

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

const isApi = (req: ExpressRequest) => req.path === '/api' || req.path.startsWith('/api/');
const hasBody = (method: string) => method !== 'GET' && method !== 'HEAD';

/** What the door read of a request: its body, and the body parsed when it is JSON (so routes parse it once). */
interface Door {
  body?: Buffer;
  json?: unknown;
}
const doors = new WeakMap<ExpressRequest, Door>();
const parsedBodies = new WeakMap<Request, unknown>();

/** The JSON body the door already parsed for this Fetch Request, if it did. */
export function parsedJson(request: Request): { value: unknown } | null {
  return parsedBodies.has(request) ? { value: parsedBodies.get(request) } : null;
}

/**
 * Express middleware, first in line: reads the body (413 beyond the limit), then refuses with a 4xx what
 * breaks the boundary rule — a path or query parameter with NUL or a lone surrogate, a path that does not
 * decode, an API body that is not JSON or breaks the rule, a form field with bad text, a page post in a
 * type no form sends (pages take forms only). API clients and data requests get problem+json; browsers a translated page.
 */
export function inputGuard(): RequestHandler {
  return (req, res, next) => {
    void (async () => {
      const door: Door = {};
      doors.set(req, door);
      const api = isApi(req);
      if (hasBody(req.method)) {
        const body = await readBody(req, api ? MAX_API_BODY_BYTES : MAX_PAGE_BODY_BYTES);
        if (body === null)
          return refuse(
            req,
            res,
            problem(413, 'payload_too_large', { detail: `Send at most ${(api ? MAX_API_BODY_BYTES : MAX_PAGE_BODY_BYTES) / 1_000_000} MB.` }),
          );
        door.body = body;
      }
      const urlFault = checkUrl(req.originalUrl);
      if (urlFault) return refuse(req, res, invalidInput(urlFault));
      if (door.body?.length) {
        const type = req.get('content-type') ?? '';
        if (api && /\bjson\b/i.test(type)) {
          const parsed = parseJson(door.body.toString('utf8'));
          if (!parsed.ok)
            return refuse(req, res, parsed.fault ? invalidInput(parsed.fault) : problem(400, 'invalid_json', { detail: 'The body is not valid JSON.' }));
          door.json = parsed.value;
        } else if (FORM_TYPES.test(type)) {
          const fault = await formFault(req, door.body);
          if (fault) return refuse(req, res, invalidInput(fault));
        } else if (!api) {
          // Pages take forms only (the API routes answer an unexpected type themselves: 415, naming what they take).
          return refuse(
            req,
            res,
            problem(415, 'unsupported_media_type', { detail: 'Send forms as application/x-www-form-urlencoded or multipart/form-data.' }),
          );
        }
      }
      next();
    })().catch(next);
  };
}

export const invalidInput = (fault: FieldError) =>
  problem(400, 'invalid_input', { detail: `${fault.field}: ${fault.code}`, field: fault.field, errors: [fault] });

/** The first path segment or query parameter that breaks the rule. */
function checkUrl(originalUrl: string): FieldError | null {
  const q = originalUrl.indexOf('?');
  const path = q < 0 ? originalUrl : originalUrl.slice(0, q);
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { field: 'path', code: 'invalid_encoding', messageKey: 'errors.validation.invalid_encoding' };
    }
    const fault = findFault(decoded, 'path');
    if (fault) return fault;
  }
  if (q < 0) return null;
  const params = new URLSearchParams(originalUrl.slice(q + 1));
  for (const [key, value] of params) {
    const fault = findFault(key, 'query') ?? findFault(value, `query.${key}`);
    if (fault) return fault;
  }
  return null;
}

/** The first text field of a form post that breaks the rule (files are the importer's to judge). */
async function formFault(req: ExpressRequest, body: Buffer): Promise<FieldError | null> {
  let form: FormData;
  try {
    form = await new Request('http://door/', {
      method: 'POST',
      headers: { 'content-type': req.get('content-type') ?? '' },
      body: new Uint8Array(body),
    }).formData();
  } catch {
    return { field: '_', code: 'invalid_form', messageKey: 'errors.validation.invalid_form' };
  }
  for (const [key, value] of form) {
    const fault = findFault(key, 'form') ?? (typeof value === 'string' ? findFault(value, key) : null);
    if (fault) return fault;
  }
  return null;
}

const wantsPage = (req: ExpressRequest) => !isApi(req) && req.method === 'GET' && !('_data' in req.query) && (req.get('accept') ?? '').includes('text/html');

/** A refusal: problem+json for the API, data requests and scripts; a small translated page for a browser. */
function refuse(req: ExpressRequest, res: ExpressResponse, response: Response): void {
  if (!wantsPage(req)) {
    void send(res, req.method, response);
    return;
  }
  res
    .status(response.status)
    .type('text/html')
    .send(translatedPage(req, response.status, 'bad_input'));
}

/** A page of its own (no app shell, no scripts) in the reader's language: for what never reached the app. */
function translatedPage(req: ExpressRequest, status: number, key: 'bad_input' | 'unavailable'): string {
  const cookie = new RegExp(`(?:^|;\\s*)${LOCALE_COOKIE}=([^;]*)`).exec(req.get('cookie') ?? '')?.[1];
  const locale = isLocale(cookie) ? cookie : localeFromAcceptLanguage(req.get('accept-language') ?? null);
  const t = createI18n(locale).t;
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return (
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(t(`errors.page.${key}.title`))}</title></head>` +
    `<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem"><main class="error-page" data-status="${status}" data-code="${key}">` +
    `<h1>${esc(t(`errors.page.${key}.title`))}</h1><p>${esc(t(`errors.page.${key}.body`))}</p><p><a href="${esc(req.originalUrl)}">${esc(t('errors.page.retry'))}</a> · <a href="/">${esc(t('errors.page.home'))}</a></p></main></body></html>`
  );
}

/** Writes a Fetch Response to Express (small, already complete responses: problems and API answers). */
export async function send(res: ExpressResponse, method: string, response: Response): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => res.append(name, value));
  res.end(method === 'HEAD' ? undefined : Buffer.from(await response.arrayBuffer()));
}

/** The Fetch Request for an Express request whose body the door read. */
export function fetchRequest(req: ExpressRequest, signal?: AbortSignal): Request {
  const door = doors.get(req);
  const url = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`;
  const body = door?.body;
  const request = new Request(url, {
    method: req.method,
    headers: fetchHeaders(req),
    body: body && hasBody(req.method) ? new Uint8Array(body) : undefined,
    signal,
  });
  if (door && 'json' in door) parsedBodies.set(request, door.json);
  return request;
}

function fetchHeaders(req: ExpressRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/** The whole body, or null when it is larger than `max` (the rest is drained unread). */
function readBody(req: ExpressRequest, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size <= max ? Buffer.concat(chunks) : null));
    req.on('error', reject);
  });
}

/** Per-request state the Remix handler and entry.server share through the load context. */
export interface RequestState {
  outage?: boolean;
  nonce?: string;
}

/**
 * Remix's request handler on the door's Fetch Request. A loader or action that met an outage (recorded by
 * entry.server's handleError) turns the 500 into 503 with Retry-After, for pages and data requests alike.
 */
export function remixRequestHandler(
  build: ServerBuild,
  mode: string,
  getLoadContext: (req: ExpressRequest, res: ExpressResponse) => AppLoadContext,
): RequestHandler {
  const handle = createRequestHandler(build, mode);
  return (req, res, next) => {
    void (async () => {
      const controller = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      const context = getLoadContext(req, res);
      let response: Response;
      try {
        response = await handle(fetchRequest(req, controller.signal), context);
      } catch (e) {
        if (!isOutage(e)) throw e;
        response = unavailable();
      }
      if (context.state.outage && response.status >= 500) {
        // A person gets a page that says what happened, in their language; scripts and data requests the status.
        if (wantsPage(req)) {
          await response.body?.cancel();
          res
            .status(503)
            .set('Retry-After', String(RETRY_AFTER_SECONDS))
            .type('text/html')
            .send(translatedPage(req, 503, 'unavailable'));
          return;
        }
        const headers = new Headers(response.headers);
        headers.set('Retry-After', String(RETRY_AFTER_SECONDS));
        response = new Response(response.body, { status: 503, headers });
      }
      res.statusMessage = response.statusText;
      res.status(response.status);
      response.headers.forEach((value, name) => res.append(name, value));
      if (response.body && req.method !== 'HEAD') await writeReadableStreamToWritable(response.body, res);
      else res.end();
    })().catch(next);
  };
}
