import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres, type EmbeddedDb } from './postgres.ts';
import { logger } from './log.ts';
import { stopProcess } from './process.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dataDir = path.join(root, '.data');
/** Where the built app lives (OMS_BUILD_DIR, default build/). */
export const buildDir = path.resolve(root, process.env.OMS_BUILD_DIR ?? 'build');

export const DEFAULTS = {
  pgPort: Number(process.env.OMS_PG_PORT ?? 54329),
  temporalPort: Number(process.env.TEMPORAL_PORT ?? 7233),
  temporalUiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
  webPort: Number(process.env.PORT ?? 3000),
  database: 'oms',
};

/** Runs `fn` against DATABASE_URL, or against the embedded server (started and stopped around it). */
export async function withEmbeddedDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return fn(process.env.DATABASE_URL);
  const db = await startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), port: DEFAULTS.pgPort });
  try {
    await db.ensureDatabase(DEFAULTS.database);
    return await fn(db.urlFor(DEFAULTS.database));
  } finally {
    await db.stop();
  }
}

export async function embeddedPostgres(): Promise<EmbeddedDb> {
  return startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), port: DEFAULTS.pgPort });
}

/** Newest modification time of any file under the given paths. */
function newestMtime(paths: string[]): number {
  let newest = 0;
  const walk = (p: string) => {
    if (!fs.existsSync(p)) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p)) if (e !== 'node_modules') walk(path.join(p, e));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

/** Builds the Remix app when the build is missing or older than its sources. */
export function buildIfStale(force = false) {
  const log = logger('start');
  const out = path.join(buildDir, 'server', 'index.js');
  const sources = ['app', 'entities', 'plugins', 'vite.config.ts', 'package-lock.json'].map((p) => path.join(root, p));
  if (!force && fs.existsSync(out) && fs.statSync(out).mtimeMs >= newestMtime(sources)) return;
  log.info('building the console (vite)…');
  const t0 = Date.now();
  // A build started from inside vitest must not inherit its mode.
  const { VITEST: _vitest, NODE_ENV: _mode, ...rest } = process.env;
  const env = rest as NodeJS.ProcessEnv;
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', '@remix-run', 'dev', 'dist', 'cli.js'), 'vite:build'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error('The build failed (see the errors above).');
  log.info(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export interface Child {
  name: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Keeps one of our node processes running: when it exits without being asked to (a crash, kill -9, an
 * out-of-memory kill), it is started again after a back-off that doubles with each quick death (1 s up to
 * 30 s) and resets once a run has lasted a minute. Each restart is logged with the exit code or signal.
 */
const supervisorLog = logger('start');

export function superviseNodeChild(
  name: string,
  script: string,
  env: Record<string, string>,
  opts: { minBackoffMs?: number; maxBackoffMs?: number; healthyAfterMs?: number } = {},
): Child & { restarts(): number } {
  const minBackoff = opts.minBackoffMs ?? 1000,
    maxBackoff = opts.maxBackoffMs ?? 30_000,
    healthyAfter = opts.healthyAfterMs ?? 60_000;
  let stopping = false;
  let restarts = 0;
  let backoff = minBackoff;
  let timer: NodeJS.Timeout | null = null;
  const supervised: Child & { restarts(): number } = {
    name,
    process: null as unknown as ChildProcess,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await stopProcess(supervised.process);
    },
  };
  const launch = () => {
    const startedAt = Date.now();
    supervised.process = startNodeChild(name, script, env, (code, signal) => {
      if (stopping) return;
      if (Date.now() - startedAt >= healthyAfter) backoff = minBackoff;
      supervisorLog.error(`${name} exited (${signal ?? `code ${code}`}); restarting in ${(backoff / 1000).toFixed(0)} s`);
      timer = setTimeout(() => {
        timer = null;
        if (!stopping) {
          restarts++;
          launch();
        }
      }, backoff);
      backoff = Math.min(maxBackoff, backoff * 2);
    }).process;
  };
  launch();
  return supervised;
}

/** Starts one of our node processes (web, worker) with its output prefixed. */
function startNodeChild(
  name: string,
  script: string,
  env: Record<string, string>,
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void,
): Child {
  const child = spawn(process.execPath, [path.join(root, 'scripts', script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.once('exit', (code, signal) => onExit?.(code, signal));
  return { name, process: child, stop: () => stopProcess(child) };
}

export async function waitForHealthy(url: string, timeoutMs = 90_000): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  let last: unknown = null;
  while (Date.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(`${url}/healthz`);
      last = await res.json();
      if (res.ok) return last as Record<string, unknown>;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`The console did not become healthy within ${timeoutMs / 1000} s; last answer: ${JSON.stringify(last)}`);
}
