import type { ChildProcess } from 'node:child_process';

/** Asks a child to stop, waits for it, and kills it if it has not gone after `graceMs`. */
export function stopProcess(child: ChildProcess | null | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
