import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Config } from './config.server.ts';
import type { RequestState } from './http.server.ts';
import type { ApiRateLimiter } from './rate-limit.server.ts';

/** What every loader and action receives as `context` (built once per request by the web runtime). */
export interface AppContext {
  orm: MikroORM;
  config: Config;
  temporal: () => Promise<Client>;
  /** Client address and whether the request arrived over https (directly or via a proxy). */
  ip: string;
  secure: boolean;
  /** The per-API-key rate limit (null when API_RATE_LIMIT is 0). */
  apiLimiter?: ApiRateLimiter | null;
  /** Per-request state shared by the web runtime and entry.server (CSP nonce, whether an outage was met). */
  state: RequestState;
}

declare module '@remix-run/node' {
  // Declaration merging needs an interface; it adds AppContext's members to Remix's type.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends AppContext {}
}
