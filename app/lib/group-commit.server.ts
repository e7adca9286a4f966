// Group commit: requests that arrive while the database is busy share the next transaction.
//
// An idle queue runs a request at once, alone (no added latency). While `maxInFlight` batches are
// running, new requests wait; when a batch ends, everything that waited (up to `maxBatch`) goes in
// the next one. Under load a batch therefore holds what arrived during one commit, which turns many
// small transactions (a round trip and a WAL flush each) into few larger ones.
//
// The batch function settles every request on its own: one request's refusal is its answer only.

export type Settled<R> = { value: R } | { error: unknown };

export interface GroupCommitOptions {
  /** Most requests in one batch. */
  maxBatch: number;
  /** Batches running at the same time (so one is prepared while another commits). */
  maxInFlight: number;
}

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<T, R> {
  private readonly queue: Waiting<T, R>[] = [];
  private inFlight = 0;
  private readonly runBatch: (items: T[]) => Promise<Settled<R>[]>;
  private readonly opts: GroupCommitOptions;

  constructor(runBatch: (items: T[]) => Promise<Settled<R>[]>, opts: GroupCommitOptions) {
    if (!(opts.maxBatch >= 1 && opts.maxInFlight >= 1)) throw new Error('maxBatch and maxInFlight must be at least 1');
    this.runBatch = runBatch;
    this.opts = opts;
  }

  /** Resolves with the request's own result, or rejects with its own error. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Requests waiting for a batch (for tests and metrics). */
  get waiting(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: Waiting<T, R>[]): Promise<void> {
    let settled: Settled<R>[];
    try {
      settled = await this.runBatch(batch.map((w) => w.item));
      if (settled.length !== batch.length) throw new Error(`batch settled ${settled.length} of ${batch.length} requests`);
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    batch.forEach((w, i) => {
      const s = settled[i];
      if ('error' in s) w.reject(s.error);
      else w.resolve(s.value);
    });
  }
}
