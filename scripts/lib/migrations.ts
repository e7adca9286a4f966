import { createOrm } from '../../app/lib/db.server.ts';
import { logger } from './log.ts';

const log = logger('postgres');

/** Applies the committed migrations in migrations/ (the schema is never synced at run time). */
export async function migrateUp(url: string): Promise<string[]> {
  const orm = await createOrm({ url, withMigrator: true });
  try {
    const applied = await orm.migrator.up();
    if (applied.length) log.info(`applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
    return applied.map((m) => m.name);
  } finally {
    await orm.close();
  }
}

/** Writes a new migration with the difference between the entities and the database. */
export async function createMigration(url: string, blank = false) {
  const orm = await createOrm({ url, withMigrator: true });
  try {
    await orm.migrator.up();
    const result = await orm.migrator.create(undefined, blank, false);
    return result.diff.up.length || blank ? result.fileName : null;
  } finally {
    await orm.close();
  }
}

/** SQL that would still be needed to match the entities; empty when migrations and entities agree. */
export async function pendingSchemaDiff(url: string): Promise<string> {
  const orm = await createOrm({ url });
  try {
    return (await orm.schema.getUpdateSchemaSQL({ wrap: false })).trim();
  } finally {
    await orm.close();
  }
}
