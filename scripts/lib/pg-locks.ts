// Lock files a PostgreSQL server leaves behind when it is killed hard: `postmaster.pid` in its data
// directory and `.s.PGSQL.<port>.lock` beside its socket (in /tmp). Each names the server's PID on its
// first line and its data directory on the second. PostgreSQL clears such a lock itself only when it
// may signal that PID and finds it gone; a lock whose PID has since been taken by another process (on
// a busy machine, often a backend of another server, running as the same user) or that another user
// owns blocks the next start on that port. Such a lock is removed here before a start, and only when
// no server holds it: the PID is gone, or it is now some other process than that server's postmaster.
import fs from 'node:fs';
import path from 'node:path';

/** Where our PostgreSQL binaries put their socket and its lock (their compiled-in default). */
const SOCKET_DIR = '/tmp';

export const socketLockFile = (port: number) => path.join(SOCKET_DIR, `.s.PGSQL.${port}.lock`);

export interface LockHolder {
  pid: number;
  dataDir: string;
}

/** The PID and data directory a lock file names, or null when it names none (absent, empty, or being written). */
export function readLock(file: string): LockHolder | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const [pid, dataDir] = text.split('\n');
  return /^-?\d+$/.test(pid?.trim() ?? '') && dataDir ? { pid: Math.abs(Number(pid.trim())), dataDir } : null;
}

const samePath = (a: string, b: string) => {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
};

/**
 * Whether the server that wrote the lock still runs: its PID is alive and, where /proc shows what
 * that process is, it is a postmaster (not a server's renamed child, not another program) started on
 * the lock's data directory. When that cannot be told, it counts as running.
 */
export function holderRunning(holder: LockHolder, procDir = '/proc'): boolean {
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: alive, and someone else's.
  }
  let args: string[];
  try {
    args = fs.readFileSync(path.join(procDir, String(holder.pid), 'cmdline'), 'utf8').split('\0');
  } catch {
    return true;
  }
  // A postmaster keeps its command line (`postgres -D <dir> …`); its children retitle theirs ("postgres: checkpointer").
  if (path.basename(args[0] ?? '') !== 'postgres') return false;
  const d = args.indexOf('-D');
  if (d < 0 || !args[d + 1]) return true;
  return samePath(path.resolve(readCwd(procDir, holder.pid), args[d + 1]), holder.dataDir);
}

const readCwd = (procDir: string, pid: number) => {
  try {
    return fs.readlinkSync(path.join(procDir, String(pid), 'cwd'));
  } catch {
    return '/';
  }
};

/**
 * Removes `file` when it is the lock of a server that no longer runs. `absent` when there is none (or it
 * names no PID yet: a server may be writing it), `removed`, or `held` by the running server it names.
 */
export function clearStaleLock(file: string, procDir = '/proc'): { state: 'absent' } | { state: 'removed' | 'held'; holder: LockHolder } {
  const holder = readLock(file);
  if (!holder) return { state: 'absent' };
  if (holderRunning(holder, procDir)) return { state: 'held', holder };
  try {
    fs.rmSync(file, { force: true });
  } catch (e) {
    throw new Error(`${file} is left from a server that no longer runs (pid ${holder.pid}), and it cannot be removed: ${(e as Error).message}`);
  }
  return { state: 'removed', holder };
}
