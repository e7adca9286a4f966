// Polling for tests that wait on something another process does (a worker, the dispatcher, Temporal).

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Poll<T> = () => Promise<T | null | undefined | false>;

/**
 * Calls `fn` every 100 ms until it returns something truthy, and returns that. A call that throws
 * counts as "not yet" (the thing polled may be restarting); after `ms` it fails, naming what it waited
 * for and the last error seen.
 */
export function waitFor<T>(fn: Poll<T>, ms?: number): Promise<T>;
export function waitFor<T>(what: string, fn: Poll<T>, ms?: number): Promise<T>;
export async function waitFor<T>(a: string | Poll<T>, b?: Poll<T> | number, c?: number): Promise<T> {
  const what = typeof a === 'string' ? a : null;
  const fn = (typeof a === 'string' ? b : a) as Poll<T>;
  const ms = (typeof a === 'string' ? c : (b as number | undefined)) ?? 30_000;
  const t0 = Date.now();
  let last: unknown = null;
  for (;;) {
    const v = await fn().catch((e: unknown) => {
      last = e;
      return null;
    });
    if (v) return v;
    if (Date.now() - t0 > ms) {
      const cause = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out waiting${what ? ` for ${what}` : ''}${cause}`);
    }
    await sleep(100);
  }
}
