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
  try { return await fn(c); } finally { await c.end(); }
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
