import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Config } from './config.server.ts';

/** What every loader and action receives as `context` (built once per request by the web runtime). */
export interface AppContext {
  orm: MikroORM;
  config: Config;
  temporal: () => Promise<Client>;
  /** Client address and whether the request arrived over https (directly or via a proxy). */
  ip: string;
  secure: boolean;
}

declare module '@remix-run/node' {
  // Declaration merging needs an interface; it adds AppContext's members to Remix's type.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends AppContext {}
}
