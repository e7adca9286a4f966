// Starts the test run's one PostgreSQL and one Temporal dev server, and the migrated template database
// every test database is cloned from. Used by scripts/test.ts and, when vitest runs alone, its global setup.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDb } from '../../scripts/lib/postgres.ts';
import { findOrBuildTemporalCli, startTemporalDevServer } from '../../scripts/lib/temporal-cli.ts';
import { migrateUp } from '../../scripts/lib/migrations.ts';
import { dataDir, root } from '../../scripts/lib/stack.ts';
import { orStop, startTogether, stopAll } from '../../scripts/lib/startup.ts';
import { urlForDatabase } from './env.ts';

export interface TestInfra {
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** How the two servers are started (tests of the start-up itself pass stand-ins). */
export interface InfraStarters {
  postgres(opts: { dir: string; port: number }): Promise<EmbeddedDb>;
  temporal(opts: { port: number }): Promise<{ address: string; stop(): Promise<void> }>;
}

const REAL: InfraStarters = {
  postgres: ({ dir, port }) => startEmbeddedPostgres({ dir, port, fast: true }),
  temporal: ({ port }) => startTemporalDevServer({ cli: findOrBuildTemporalCli(root), port }),
};

/**
 * Starts both servers side by side, then the template. If either server fails to start, the other is
 * stopped once it is up; if the template fails, both are; nothing is left running after a throw.
 */
export async function startTestInfra(opts: { name: string; pgPort: number; temporalPort: number }, starters: InfraStarters = REAL): Promise<TestInfra> {
  const dir = path.join(dataDir, 'test', opts.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const [db, temporal] = await startTogether([
    () => starters.postgres({ dir: path.join(dir, 'postgres'), port: opts.pgPort }),
    () => starters.temporal({ port: opts.temporalPort }),
  ]);
  const template = 'oms_template';
  await orStop([db, temporal], async () => {
    await db.ensureDatabase(template);
    await migrateUp(db.urlFor(template));
    // A template must have no open connections while it is cloned; migrateUp closed its own.
    const c = new pg.Client({ connectionString: db.urlFor('postgres') });
    await c.connect();
    try {
      await c.query(`update pg_database set datistemplate = true where datname = $1`, [template]);
    } finally {
      await c.end();
    }
  });
  return {
    env: { OMS_TEST_PG_ADMIN_URL: urlForDatabase(db.urlFor('postgres'), 'postgres'), OMS_TEST_TEMPLATE_DB: template, TEMPORAL_ADDRESS: temporal.address },
    stop: () => stopAll([temporal, db]),
  };
}
