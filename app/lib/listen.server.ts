// A background job that runs when Postgres says there is work (LISTEN <channel>, sent by a trigger or
// NOTIFY in the committing transaction) and every `pollMs` as a safety net. One run at a time; a
// notification during a run brings one more run after it, so the job never ends on stale work. A lost
// LISTEN connection (database restart) is reconnected every second meanwhile, the poll covering the gap.
import pg from 'pg';

export interface ListeningJob {
  databaseUrl: string;
  channel: string;
  /** Does one batch; returns true when there may be more to do at once. */
  run: () => Promise<boolean>;
  pollMs?: number;
  /** Rest between runs that follow each other (a busy stream of notifications gathers into fewer, larger runs). */
  restMs?: number;
  log: { info: (...a: unknown[]) => void; warn: (...a: unknown[]) => void };
}

/** Starts the job; returns stop(), which waits for the run in hand. */
export function startListening(job: ListeningJob): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): Promise<void> => {
    if (stopped) return running ?? Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      for (;;) {
        again = false;
        if (await job.run()) again = true;
        if (!again || stopped) break;
        if (job.restMs) await new Promise((r) => setTimeout(r, job.restMs));
      }
    })()
      .catch((e) => job.log.warn(`${job.channel} job failed:`, (e as Error).message))
      .finally(() => {
        running = null;
      });
    return running;
  };

  let listener: pg.Client | null = null;
  const retry = () =>
    setTimeout(
      () =>
        void listen()
          .then(run)
          .catch(() => {}),
      1000,
    );
  const listen = async (): Promise<void> => {
    if (stopped) return;
    const client = new pg.Client({ connectionString: job.databaseUrl });
    client.on('notification', () => void run());
    client.on('error', (e) => {
      if (stopped) return;
      job.log.warn(`lost the LISTEN ${job.channel} connection, reconnecting:`, e.message);
      void client.end().catch(() => {});
      listener = null;
      retry();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${job.channel}`);
      if (stopped) {
        await client.end();
        return;
      }
      listener = client;
    } catch (e) {
      void client.end().catch(() => {});
      if (!stopped) retry();
      throw e;
    }
  };
  void listen().catch((e) => job.log.warn(`LISTEN ${job.channel} failed, polling only until it reconnects:`, (e as Error).message));
  const timer = setInterval(() => void run(), job.pollMs ?? 5_000);
  void run();

  return async () => {
    stopped = true;
    clearInterval(timer);
    await listener?.end().catch(() => {});
    await running;
  };
}
