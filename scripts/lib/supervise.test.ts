import { describe, expect, it } from 'vitest';
import { superviseNodeChild } from './stack.ts';
import { waitFor } from '../../tests/support/wait.ts';

describe('the supervisor behind npm start', () => {
  it('starts a process again when it dies (kill -9 included), with back-off, and not after it was told to stop', async () => {
    const child = superviseNodeChild('sleeper', '../tests/fixtures/processes/sleeper.ts', {}, { minBackoffMs: 100, maxBackoffMs: 400, healthyAfterMs: 60_000 });
    try {
      const first = child.process.pid;
      await waitFor('the first process', async () => child.process.pid && child.process.exitCode === null);
      child.process.kill('SIGKILL');
      await waitFor('a second process', async () => child.process.pid !== first && child.process.exitCode === null, 10_000);
      expect(child.restarts()).toBe(1);
      const second = child.process.pid;
      child.process.kill('SIGTERM'); // a crash by any other signal too
      await waitFor('a third process', async () => child.process.pid !== second && child.process.exitCode === null, 10_000);
      expect(child.restarts()).toBe(2);
    } finally {
      await child.stop();
    }
    const stopped = child.process;
    expect(stopped.exitCode !== null || stopped.signalCode !== null).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(child.process).toBe(stopped);
  });
});
