import crypto from 'node:crypto';
import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createOrm } from '../../app/lib/db.server.ts';
import { testEnv, urlForDatabase } from './env.ts';

export interface TestDatabase {
  name: string;
  url: string;
  orm: MikroORM;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: testEnv.adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh, migrated database cloned from the run's template (a few milliseconds), with its ORM. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `oms_${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create database "${name}" template "${testEnv.templateDb}"`));
  const url = urlForDatabase(testEnv.adminUrl, name);
  const orm = await createOrm({ url, poolMax: 20 });
  return {
    name,
    url,
    orm,
    async drop() {
      await orm.close();
      await admin((c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

/**
 * Every test database of a run talks to the same Temporal namespace, and runs are named after the rows
 * they serve (`order-<id>`, `return-<id>`), so two databases counting ids from 1 would start runs with
 * the same ids and the second would find its run already taken. Each database therefore counts its ids
 * from a block of its own, as separate installations sharing a namespace would need to. Called after
 * the demo data is seeded, so the demo's rows keep their small ids; rows the tests make get the block's.
 */
export async function startIdsApart(url: string) {
  const block = crypto.randomInt(1, 90_000) * 1000;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`do $$ declare s record; begin
      for s in select schemaname, sequencename from pg_sequences where schemaname = 'public' and sequencename like '%\\_id\\_seq' loop
        perform setval(format('%I.%I', s.schemaname, s.sequencename), ${block}, false);
      end loop; end $$`);
  } finally {
    await c.end();
  }
}
