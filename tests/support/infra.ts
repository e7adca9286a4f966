// Starts the test run's one PostgreSQL and one Temporal dev server, and the migrated template database
// every test database is cloned from. Used by scripts/test.ts and, when vitest runs alone, its global setup.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../scripts/lib/postgres.ts';
import { findOrBuildTemporalCli, startTemporalDevServer } from '../../scripts/lib/temporal-cli.ts';
import { migrateUp } from '../../scripts/lib/migrations.ts';
import { dataDir, root } from '../../scripts/lib/stack.ts';
import { urlForDatabase } from './env.ts';

export interface TestInfra {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestInfra(opts: { name: string; pgPort: number; temporalPort: number }): Promise<TestInfra> {
  const dir = path.join(dataDir, 'test', opts.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const [db, temporal] = await Promise.all([
    startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: opts.pgPort, fast: true }),
    startTemporalDevServer({ cli: findOrBuildTemporalCli(root), port: opts.temporalPort }),
  ]);
  const template = 'oms_template';
  await db.ensureDatabase(template);
  await migrateUp(db.urlFor(template));
  // A template must have no open connections while it is cloned; migrateUp closed its own.
  const c = new pg.Client({ connectionString: db.urlFor('postgres') });
  await c.connect();
  await c.query(`update pg_database set datistemplate = true where datname = $1`, [template]);
  await c.end();
  return {
    env: { OMS_TEST_PG_ADMIN_URL: urlForDatabase(db.urlFor('postgres'), 'postgres'), OMS_TEST_TEMPLATE_DB: template, TEMPORAL_ADDRESS: temporal.address },
    async stop() {
      await temporal.stop();
      await db.stop();
    },
  };
}
