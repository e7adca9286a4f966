import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearStaleLock, holderRunning, readLock } from './pg-locks.ts';

let dir: string, dataDir: string;
const children: ChildProcess[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-locks-'));
  dataDir = path.join(dir, 'postgres');
  fs.mkdirSync(dataDir);
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A lock file as PostgreSQL writes one (pid, data directory, start time, port, socket directory). */
const lock = (name: string, pid: number, data = dataDir) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${pid}\n${data}\n1795415338\n55999\n/tmp\n`);
  return file;
};

/** A live process that looks like a server to /proc: argv[0] `title`, then `args`. */
async function fakeProcess(title: string, args: string[]) {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', ...args], { argv0: title, stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  return child.pid!;
}

/** A PID no process has: past the kernel's largest. */
const GONE = 2_147_483_000;

describe('stale PostgreSQL lock files', () => {
  it('reads the PID and data directory, and nothing from an empty or foreign file', () => {
    expect(readLock(lock('a.lock', 123))).toEqual({ pid: 123, dataDir });
    fs.writeFileSync(path.join(dir, 'empty.lock'), '');
    expect(readLock(path.join(dir, 'empty.lock'))).toBeNull();
    expect(readLock(path.join(dir, 'missing.lock'))).toBeNull();
  });

  it('removes a lock whose PID is gone', () => {
    const file = lock('gone.lock', GONE);
    expect(clearStaleLock(file)).toEqual({ state: 'removed', holder: { pid: GONE, dataDir } });
    expect(fs.existsSync(file)).toBe(false);
  });

  it('keeps the lock of a running postmaster of that data directory', async () => {
    const pid = await fakeProcess('postgres', ['-D', dataDir, '-p', '55999']);
    const file = lock('live.lock', pid);
    expect(holderRunning({ pid, dataDir })).toBe(true);
    expect(clearStaleLock(file)).toEqual({ state: 'held', holder: { pid, dataDir } });
    expect(fs.existsSync(file)).toBe(true);
  });

  it("removes a lock whose PID another process took since: another program, a server's child, another server", async () => {
    const others = [
      process.pid,
      await fakeProcess('postgres: postgres oms 127.0.0.1(5432) idle', []),
      await fakeProcess('postgres', ['-D', path.join(dir, 'another'), '-p', '55998']),
    ];
    fs.mkdirSync(path.join(dir, 'another'));
    for (const pid of others) {
      const file = lock(`reused-${pid}.lock`, pid);
      expect(clearStaleLock(file).state, String(pid)).toBe('removed');
      expect(fs.existsSync(file)).toBe(false);
    }
  });

  it('keeps a lock whose live PID it cannot look into, and one that names no PID yet', () => {
    const file = lock('unknown.lock', process.pid);
    expect(clearStaleLock(file, path.join(dir, 'no-proc'))).toMatchObject({ state: 'held' });
    expect(fs.existsSync(file)).toBe(true);
    fs.writeFileSync(path.join(dir, 'writing.lock'), '');
    expect(clearStaleLock(path.join(dir, 'writing.lock'))).toEqual({ state: 'absent' });
    expect(fs.existsSync(path.join(dir, 'writing.lock'))).toBe(true);
  });
});
