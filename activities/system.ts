import type { MikroORM } from '@mikro-orm/postgresql';
import { fireBinding } from '../app/modules/workflows/schedules.server.ts';

export function systemActivities({ orm }: { orm: MikroORM }) {
  return {
    /** Round trip to the database from the worker: proves the worker can reach both Temporal and Postgres. */
    async databaseTime(): Promise<{ now: string; database: string }> {
      const [row] = await orm.em.fork().execute<{ now: Date; db: string }[]>('select now() as now, current_database() as db');
      return { now: new Date(row.now).toISOString(), database: row.db };
    },
    /** A schedule binding's tick: the outbox row the dispatcher starts the run from (once per firing). */
    fireBinding(input: { bindingId: number; firing: string }): Promise<{ queued: boolean }> {
      return fireBinding(orm, input.bindingId, input.firing);
    },
  };
}
