import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { logger } from './log.ts';
import { stopProcess } from './process.ts';

const log = logger('temporal');
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

function onPath(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || null : null;
}

function goBin(): string | null {
  const go = onPath('go') ?? (fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
  return go;
}

/**
 * Finds the Temporal CLI: $TEMPORAL_CLI, `temporal` on PATH, .tools/temporal, $(go env GOPATH)/bin,
 * else builds it once with `go install` (into GOPATH/bin, so later clones on this machine reuse it).
 */
export function findOrBuildTemporalCli(projectRoot: string): string {
  const candidates: (string | null)[] = [process.env.TEMPORAL_CLI || null, onPath('temporal'), path.join(projectRoot, '.tools', 'temporal')];
  const go = goBin();
  let gopathBin: string | null = null;
  if (go) {
    const gopath = execFileSync(go, ['env', 'GOPATH'], { encoding: 'utf8' }).trim().split(path.delimiter)[0];
    gopathBin = path.join(gopath, 'bin', 'temporal');
    candidates.push(gopathBin);
  }
  for (const c of candidates) {
    if (c && fs.existsSync(c)) return c;
  }
  if (process.env.TEMPORAL_CLI) throw new Error(`TEMPORAL_CLI is set to ${process.env.TEMPORAL_CLI}, but no file is there.`);
  if (!go) {
    throw new Error(
      [
        'The Temporal CLI is needed for the embedded Temporal server, and Go is not installed to build it.',
        'Do one of these, then run the command again:',
        '  - install Go 1.24+ (https://go.dev/dl/ or your package manager), or',
        '  - put a `temporal` binary on PATH, or name it in TEMPORAL_CLI=/path/to/temporal, or',
        '  - point at an existing server: TEMPORAL_ADDRESS=host:7233 (external mode).',
      ].join('\n'),
    );
  }
  log.info(`building the Temporal CLI once with Go (${TEMPORAL_CLI_MODULE}); this takes about 3 minutes on 2 cores…`);
  const t0 = Date.now();
  const r = spawnSync(go, ['install', TEMPORAL_CLI_MODULE], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GOFLAGS: '-mod=mod' } });
  if (r.status !== 0 || !gopathBin || !fs.existsSync(gopathBin)) {
    throw new Error(
      `\`go install ${TEMPORAL_CLI_MODULE}\` failed (exit ${r.status}). Check that the Go module proxy is reachable (GOPROXY), or set TEMPORAL_CLI.`,
    );
  }
  log.info(`built ${gopathBin} in ${Math.round((Date.now() - t0) / 1000)} s`);
  return gopathBin;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * SQLite settings for the dev server's file (`npm start`): a write-ahead log, so that a commit appends
 * to one file with one fsync instead of going through a rollback journal (several fsyncs, pages written
 * twice). synchronous stays FULL: a change is on disk when Temporal acknowledges it, as PostgreSQL's
 * are (synchronous=NORMAL would save a little more, and could lose the last commits on a power cut).
 * Figures: README, Performance.
 */
const SQLITE_PRAGMAS = ['journal_mode=wal'];

/**
 * Dynamic config of the dev server. Eager activity execution: when a workflow task schedules an
 * activity and the worker completing it has a free slot, the server hands the activity task back in
 * its answer instead of through matching (one poll round trip fewer; the history is the same). A
 * cluster sets the same key in its dynamic config.
 */
const DYNAMIC_CONFIG = ['system.enableActivityEagerExecution=true'];

/** `temporal server start-dev`; with `dbFile` history survives restarts, without it it lives in memory. */
export async function startTemporalDevServer(opts: { cli: string; port: number; uiPort?: number; dbFile?: string; namespace?: string }): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error', '--namespace', opts.namespace ?? 'default'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  args.push(...DYNAMIC_CONFIG.flatMap((c) => ['--dynamic-config-value', c]));
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile, ...SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]));
  }
  const t0 = Date.now();
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const address = `127.0.0.1:${opts.port}`;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`The Temporal dev server exited during start-up:\n${output}`);
    try {
      const c = await Connection.connect({ address, connectTimeout: '1s' });
      await c.workflowService.getSystemInfo({});
      // The namespace is registered a moment after the frontend answers.
      await c.workflowService.describeNamespace({ namespace: opts.namespace ?? 'default' });
      await c.close();
      break;
    } catch {
      if (Date.now() - t0 > 60_000) {
        child.kill('SIGKILL');
        throw new Error(`The Temporal dev server did not answer on ${address} within 60 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const uiUrl = opts.uiPort ? `http://localhost:${opts.uiPort}` : null;
  log.info(`dev server ready in ${Date.now() - t0} ms on ${address}${uiUrl ? `, Web UI ${uiUrl}` : ''}`);
  return {
    address,
    uiUrl,
    process: child,
    stop: () => stopProcess(child, 'SIGTERM', 5000),
  };
}
