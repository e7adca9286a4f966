import { describe, expect, it } from 'vitest';
import { GroupCommit, type Settled } from './group-commit.server.ts';

/** A batch function whose batches finish when the test says so. */
function controlled() {
  const batches: { items: number[]; finish: (settled?: Settled<string>[]) => void; fail: (e: unknown) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<Settled<string>[]>((resolve, reject) => {
      batches.push({ items, finish: (settled) => resolve(settled ?? items.map((i) => ({ value: `done ${i}` }))), fail: reject });
    });
  return { batches, run };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('runs a request at once when idle, and batches what arrives while batches are running', async () => {
    const { batches, run } = controlled();
    const queue = new GroupCommit(run, { maxBatch: 3, maxInFlight: 1 });
    const first = queue.submit(1);
    expect(batches.map((b) => b.items)).toEqual([[1]]);
    const rest = [2, 3, 4, 5, 6].map((i) => queue.submit(i));
    expect(queue.waiting).toBe(5);
    batches[0].finish();
    expect(await first).toBe('done 1');
    await tick();
    // At most maxBatch per batch, and no more than maxInFlight at a time.
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
    batches[1].finish();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4], [5, 6]]);
    batches[2].finish();
    expect(await Promise.all(rest)).toEqual(['done 2', 'done 3', 'done 4', 'done 5', 'done 6']);
    expect(queue.waiting).toBe(0);
  });

  it('keeps up to maxInFlight batches running', async () => {
    const { batches, run } = controlled();
    const queue = new GroupCommit(run, { maxBatch: 10, maxInFlight: 2 });
    const all = [1, 2, 3, 4].map((i) => queue.submit(i));
    expect(batches.map((b) => b.items)).toEqual([[1], [2]]);
    batches[1].finish();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2], [3, 4]]);
    batches[0].finish();
    batches[2].finish();
    expect(await Promise.all(all)).toHaveLength(4);
  });

  it("settles each request with its own outcome: one request's error is not its neighbour's", async () => {
    const { batches, run } = controlled();
    const queue = new GroupCommit(run, { maxBatch: 10, maxInFlight: 1 });
    void queue.submit(0);
    const a = queue.submit(1);
    const b = queue.submit(2);
    batches[0].finish();
    await tick();
    batches[1].finish([{ value: 'ok' }, { error: new Error('refused') }]);
    await expect(a).resolves.toBe('ok');
    await expect(b).rejects.toThrow('refused');
  });

  it('rejects every request of a batch whose function throws, and goes on with the next', async () => {
    const { batches, run } = controlled();
    const queue = new GroupCommit(run, { maxBatch: 10, maxInFlight: 1 });
    const a = queue.submit(1);
    const b = queue.submit(2);
    batches[0].fail(new Error('database gone'));
    await expect(a).rejects.toThrow('database gone');
    await tick();
    batches[1].finish();
    await expect(b).resolves.toBe('done 2');
  });

  it('rejects a batch that does not settle every request', async () => {
    const { batches, run } = controlled();
    const queue = new GroupCommit(run, { maxBatch: 10, maxInFlight: 1 });
    const a = queue.submit(1);
    batches[0].finish([]);
    await expect(a).rejects.toThrow('settled 0 of 1');
  });
});
