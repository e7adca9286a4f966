import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestInfra } from '../../tests/support/infra.ts';
import { orStop, startTogether, stopAll } from './startup.ts';

// Stand-ins for the servers: each records when it starts, comes up, fails and stops, so the tests can
// check what a failed start-up leaves running and in which order it stops things.
let events: string[] = [];
afterEach(() => {
  events = [];
  vi.restoreAllMocks();
});

interface PartOptions {
  ms?: number;
  fail?: boolean;
  failStop?: boolean;
}
const stopper =
  (name: string, failStop = false) =>
  async () => {
    events.push(`${name} stopped`);
    if (failStop) throw new Error(`${name} would not stop`);
  };
/** Starts after `ms`, or fails then. */
const part =
  (name: string, { ms = 0, fail = false, failStop = false }: PartOptions = {}) =>
  async () => {
    events.push(`${name} starting`);
    await sleep(ms);
    if (fail) {
      events.push(`${name} failed`);
      throw new Error(`${name} did not start`);
    }
    events.push(`${name} up`);
    return { name, stop: stopper(name, failStop) };
  };
const up = (name: string, failStop = false) => ({ name, stop: stopper(name, failStop) });

describe('startTogether', () => {
  it('starts the parts side by side and returns them in order', async () => {
    const [a, b] = await startTogether([part('postgres', { ms: 20 }), part('temporal', { ms: 5 })]);
    expect([a.name, b.name]).toEqual(['postgres', 'temporal']);
    expect(events).toEqual(['postgres starting', 'temporal starting', 'temporal up', 'postgres up']);
  });

  it('when one fails, waits for a part still starting and stops it once it is up', async () => {
    await expect(startTogether([part('postgres', { ms: 5, fail: true }), part('temporal', { ms: 30 })])).rejects.toThrow('postgres did not start');
    expect(events).toEqual(['postgres starting', 'temporal starting', 'postgres failed', 'temporal up', 'temporal stopped']);
  });

  it('stops the parts that came up, last first, when a later one fails', async () => {
    await expect(startTogether([part('postgres'), part('smtp', { ms: 5 }), part('temporal', { ms: 10, fail: true })])).rejects.toThrow(
      'temporal did not start',
    );
    expect(events.slice(-2)).toEqual(['smtp stopped', 'postgres stopped']);
  });

  it('counts a starter that throws before returning a promise (no Temporal CLI found) as failed', async () => {
    const noCli = (): Promise<{ stop(): Promise<void> }> => {
      throw new Error('The Temporal CLI is needed');
    };
    await expect(startTogether([part('postgres', { ms: 5 }), noCli])).rejects.toThrow('The Temporal CLI is needed');
    expect(events).toEqual(['postgres starting', 'postgres up', 'postgres stopped']);
  });

  it('names every failure when several parts fail, and stops nothing that never came up', async () => {
    const e = await startTogether([part('postgres', { fail: true }), part('temporal', { ms: 5, fail: true })]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AggregateError);
    expect((e as AggregateError).errors.map((x: Error) => x.message)).toEqual(['postgres did not start', 'temporal did not start']);
    expect((e as Error).message).toContain('postgres did not start; temporal did not start');
    expect(events.filter((x) => x.endsWith('stopped'))).toEqual([]);
  });

  it('throws the start failure even when a part will not stop, and still stops the others', async () => {
    const told = vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(startTogether([part('postgres'), part('smtp', { failStop: true }), part('temporal', { ms: 5, fail: true })])).rejects.toThrow(
      'temporal did not start',
    );
    expect(events.slice(-2)).toEqual(['smtp stopped', 'postgres stopped']);
    expect(String(told.mock.calls[0][0])).toContain('After a failed start (temporal did not start)');
  });
});

describe('orStop and stopAll', () => {
  it('stops the parts, last started first, when the next step fails, and throws the step’s failure', async () => {
    await expect(
      orStop([up('postgres'), up('temporal')], async () => {
        throw new Error('migration failed');
      }),
    ).rejects.toThrow('migration failed');
    expect(events).toEqual(['temporal stopped', 'postgres stopped']);
  });

  it('leaves the parts running when the step succeeds', async () => {
    expect(await orStop([up('postgres')], async () => 42)).toBe(42);
    expect(events).toEqual([]);
  });

  it('asks every part to stop even when one fails to, then throws that failure', async () => {
    await expect(stopAll([up('temporal', true), null, up('postgres')])).rejects.toThrow('temporal would not stop');
    expect(events).toEqual(['temporal stopped', 'postgres stopped']);
  });
});

describe('startTestInfra', () => {
  /** Stand-ins for PostgreSQL and the Temporal dev server. */
  const starters = (o: { postgres?: PartOptions; temporal?: PartOptions; template?: 'fails' } = {}) => ({
    postgres: async () => {
      const p = await part('postgres', o.postgres)();
      return {
        ...p,
        urlFor: (database: string) => `postgresql://127.0.0.1:1/${database}`,
        ensureDatabase: async (database: string) => {
          events.push(`create ${database}`);
          if (o.template) throw new Error('template database not created');
        },
        dropDatabase: async () => {},
      };
    },
    temporal: async () => ({ ...(await part('temporal', o.temporal)()), address: '127.0.0.1:1' }),
  });
  const opts = { name: 'startup-unit-test', pgPort: 1, temporalPort: 1 };

  it('stops the Temporal dev server when PostgreSQL fails to start', async () => {
    await expect(startTestInfra(opts, starters({ postgres: { fail: true }, temporal: { ms: 10 } }))).rejects.toThrow('postgres did not start');
    expect(events).toEqual(['postgres starting', 'temporal starting', 'postgres failed', 'temporal up', 'temporal stopped']);
  });

  it('stops PostgreSQL when the Temporal dev server fails to start', async () => {
    await expect(startTestInfra(opts, starters({ postgres: { ms: 10 }, temporal: { fail: true } }))).rejects.toThrow('temporal did not start');
    expect(events).toEqual(['postgres starting', 'temporal starting', 'temporal failed', 'postgres up', 'postgres stopped']);
  });

  it('stops both, Temporal first, when the template database cannot be made', async () => {
    await expect(startTestInfra(opts, starters({ template: 'fails' }))).rejects.toThrow('template database not created');
    expect(events.slice(-3)).toEqual(['create oms_template', 'temporal stopped', 'postgres stopped']);
  });
});
