// Runs the real web server (built app) and the real worker as child processes against a fresh
// test database with the small demo data: what integration and browser tests talk to.
import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { root } from '../../scripts/lib/stack.ts';
import { stopProcess } from '../../scripts/lib/process.ts';
import { orStop, startTogether } from '../../scripts/lib/startup.ts';
import { seedDemoData, type DemoCredentials } from '../../scripts/seed/demo.ts';
import { hashPassword } from '../../app/lib/auth.server.ts';
import { User } from '../../entities/index.ts';
import type { Role } from '../../entities/constants.ts';
import { createTestDatabase, startIdsApart, type TestDatabase } from './db.ts';
import { testEnv } from './env.ts';

export interface TestApp {
  url: string;
  db: TestDatabase;
  taskQueue: string;
  credentials: DemoCredentials;
  password(role: string): string;
  startWorker(): Promise<void>;
  /**
   * Another web process on the same database (as a second node behind a load balancer); stopped with the
   * app. `env` overrides its settings (a DATABASE_URL through a proxy, a rate limit, TRUST_PROXY, ...).
   */
  startWeb(env?: Record<string, string>): Promise<{ url: string; child: ChildProcess; stop(signal?: NodeJS.Signals): Promise<void> }>;
  stopWorker(signal?: NodeJS.Signals): Promise<void>;
  /** Another worker process on the same database and task queue (as a second worker machine); stopped with the app. `env` overrides its settings. */
  startAnotherWorker(env?: Record<string, string>): Promise<{ child: ChildProcess; stop(signal?: NodeJS.Signals): Promise<void> }>;
  stop(): Promise<void>;
}

function spawnScript(script: string, env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [path.join(root, 'scripts', script)], {
    cwd: root,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopProcess(child);
      reject(new Error(`${script} did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (b: Buffer) => {
      output += b.toString();
      if (process.env.OMS_TEST_VERBOSE) process.stdout.write(b);
      const m = output.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => {
      output += b.toString();
      if (process.env.OMS_TEST_VERBOSE) process.stderr.write(b);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) during start-up:\n${output}`));
    });
  });
}

/**
 * Extra users beyond the demo's one per role, signed in as `<key>@test.local` (e.g. a second ops manager for a test that
 * switches its own language, which is stored on the user, without disturbing tests running beside it).
 */
export interface ExtraUser {
  key: string;
  role: Role;
}

export async function startTestApp(opts: AppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase('app');
  // A failed start leaves nothing behind: the processes that came up are stopped and the database dropped.
  return orStop([{ stop: () => db.drop() }], () => startAppOn(db, opts));
}

export interface AppOptions {
  worker?: boolean;
  extraUsers?: readonly ExtraUser[];
  /** More settings for the web and worker processes (SMTP_URL, SMTP_INBOUND_PORT, …). */
  env?: Record<string, string>;
}

async function startAppOn(db: TestDatabase, opts: AppOptions): Promise<TestApp> {
  const credentials = await seedDemoData(db.orm, { size: 'small', passwordFor: (role) => `${role}-pass-${crypto.randomBytes(3).toString('hex')}` });
  if (opts.extraUsers?.length) {
    const em = db.orm.em.fork();
    for (const { key, role } of opts.extraUsers) {
      const user = { email: `${key}@test.local`, password: `${key}-pass-${crypto.randomBytes(3).toString('hex')}`, role, name: key };
      em.create(User, { email: user.email, name: user.name, role, locale: 'en', passwordHash: await hashPassword(user.password) });
      credentials.users.push(user);
    }
    await em.flush();
  }
  await startIdsApart(db.url);
  const taskQueue = `test-${db.name}`;
  const env = {
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PORT: '0',
    HOST: '127.0.0.1',
    WORKER_HEARTBEAT_MS: '500',
    WORKER_STALE_MS: '2000',
    DB_POOL_MAX: '5',
    PRESENCE_HEARTBEAT_MS: '500',
    PRESENCE_TTL_MS: '3000',
    ...opts.env,
  };
  let worker: ChildProcess | null = null;
  const startWorker = async () => {
    worker = (await spawnScript('worker.ts', env, /polling task queue/)).child;
  };
  const [web] = await startTogether([
    async () => {
      const r = await spawnScript('web.ts', env, /listening on (http:\/\/\S+)/);
      return { ...r, stop: () => stopProcess(r.child) };
    },
    async () => {
      if (opts.worker !== false) await startWorker();
      return { stop: () => stopProcess(worker) };
    },
  ]);
  const extraWebs: ChildProcess[] = [];
  const extraWorkers: ChildProcess[] = [];
  const startAnotherWorker = async (overrides: Record<string, string> = {}) => {
    const { child } = await spawnScript('worker.ts', { ...env, ...overrides }, /polling task queue/);
    extraWorkers.push(child);
    return { child, stop: (signal?: NodeJS.Signals) => stopProcess(child, signal) };
  };
  const startWeb = async (overrides: Record<string, string> = {}) => {
    const { child, match } = await spawnScript('web.ts', { ...env, ...overrides }, /listening on (http:\/\/\S+)/);
    extraWebs.push(child);
    return { url: match[1].replace('localhost', '127.0.0.1'), child, stop: (signal?: NodeJS.Signals) => stopProcess(child, signal) };
  };
  return {
    url: web.match[1].replace('localhost', '127.0.0.1'),
    db,
    taskQueue,
    credentials,
    password: (role) => credentials.users.find((u) => u.role === role)!.password,
    startWorker,
    startWeb,
    stopWorker: (signal) => stopProcess(worker, signal),
    startAnotherWorker,
    async stop() {
      await Promise.all([stopProcess(web.child), stopProcess(worker), ...extraWebs.map((c) => stopProcess(c)), ...extraWorkers.map((c) => stopProcess(c))]);
      await db.drop();
    },
  };
}
