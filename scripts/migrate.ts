// `npm run migrate` applies migrations to DATABASE_URL (or the embedded database when unset);
// `npm run migration:create` writes a new one from the entity changes (`-- --blank` for an empty one).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMigration, migrateUp } from './lib/migrations.ts';
import { withEmbeddedDatabase } from './lib/stack.ts';
import { logger } from './lib/log.ts';

const log = logger('postgres');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

await withEmbeddedDatabase(async (url) => {
  if (process.argv.includes('--create')) {
    const file = await createMigration(url, process.argv.includes('--blank'));
    log.info(file ? `wrote migrations/${file}` : 'entities and migrations already agree: nothing to write');
  } else {
    const applied = await migrateUp(url);
    if (!applied.length) log.info('database is up to date');
  }
});
