// Starting several servers as one: when a part fails to start, or a later step of the start-up fails,
// the parts already up are stopped again, so that a failed start never leaves a server behind that
// nobody will stop (a Temporal dev server holding its port, a PostgreSQL holding its data directory).

/** A started part: a server, a child process. */
export interface Stoppable {
  stop(): Promise<void>;
}

const oneError = (errors: unknown[], what: string): unknown =>
  errors.length === 1 ? errors[0] : new AggregateError(errors, `${what}: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`);

/**
 * Stops the parts one after the other in the order given (callers pass the newest first). Every part is
 * asked to stop even when an earlier one fails; then the failure is thrown (several: an AggregateError).
 */
export async function stopAll(parts: readonly (Stoppable | null | undefined)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const p of parts) {
    if (!p) continue;
    try {
      await p.stop();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length) throw oneError(errors, 'Some parts did not stop');
}

type Started<S extends readonly (() => Promise<Stoppable>)[]> = { -readonly [K in keyof S]: Awaited<ReturnType<S[K]>> };

/**
 * Starts the parts side by side and returns them in the starters' order. When one fails, it waits for
 * the others to settle (a part still starting would come up after the start was given up, with nobody
 * to stop it), stops the ones that came up, last first, and throws the failure (several failures: an
 * AggregateError). A starter that throws before it returns a promise fails the same way.
 */
export async function startTogether<const S extends readonly (() => Promise<Stoppable>)[]>(starters: S): Promise<Started<S>> {
  const settled = await Promise.allSettled(starters.map(async (start) => start()));
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (!failures.length) return settled.map((s) => (s as PromiseFulfilledResult<Stoppable>).value) as Started<S>;
  const up = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  await stopQuietly(up.reverse(), failures[0]);
  throw oneError(failures, 'Several parts failed to start');
}

/**
 * Runs the next step of a start-up with `parts` already up (given in the order they were started); if
 * the step fails, stops them, last first, and throws the step's failure.
 */
export async function orStop<T>(parts: readonly Stoppable[], step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    await stopQuietly([...parts].reverse(), e);
    throw e;
  }
}

/** Stops the parts after `cause` ended the start-up; a part that will not stop is told on stderr, and `cause` stays the error thrown. */
async function stopQuietly(parts: readonly Stoppable[], cause: unknown) {
  try {
    await stopAll(parts);
  } catch (e) {
    console.error(`After a failed start (${cause instanceof Error ? cause.message : String(cause)}), stopping what had started failed too:`, e);
  }
}
