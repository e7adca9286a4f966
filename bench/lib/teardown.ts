// What a bench starts is stopped in reverse order, on success, on error and on Ctrl-C (a second
// Ctrl-C exits at once, without cleaning up).

export interface Teardown {
  /** Registers a stop for something just started. */
  add(name: string, fn: () => Promise<unknown>): void;
  /** Whether Ctrl-C was pressed. */
  readonly interrupted: boolean;
  /** Throws when Ctrl-C was pressed, to end the bench at the next step. */
  checkInterrupted(): void;
  /** Stops everything registered, newest first; a stop that fails is reported and the others still run. */
  run(): Promise<void>;
  /** Runs the bench's main, reports a failure, stops everything and exits (main's code, 0 by default; 1 on a failure). */
  exitWith(main: () => Promise<number | void>): Promise<never>;
}

export function benchTeardown(opts: { onInterrupt?: string } = {}): Teardown {
  const cleanups: { name: string; fn: () => Promise<unknown> }[] = [];
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) {
      console.error('second Ctrl-C: exiting without cleanup');
      process.exit(130);
    }
    interrupted = true;
    console.error(`\n${opts.onInterrupt ?? 'interrupted: stopping…'}`);
  });
  return {
    add: (name, fn) => {
      cleanups.push({ name, fn });
    },
    get interrupted() {
      return interrupted;
    },
    checkInterrupted: () => {
      if (interrupted) throw new Error('interrupted');
    },
    async run() {
      for (const c of cleanups.reverse()) {
        try {
          await c.fn();
        } catch (e) {
          console.error(`[bench] stopping ${c.name} failed: ${e instanceof Error ? e.message : e}`);
        }
      }
      cleanups.length = 0;
    },
    async exitWith(main) {
      let code = 1;
      try {
        code = (await main()) ?? 0;
      } catch (e) {
        console.error(interrupted ? '[bench] interrupted' : `[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
        code = 1;
      } finally {
        await this.run();
      }
      process.exit(code);
    },
  };
}
