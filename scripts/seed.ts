// `npm run seed`: seeds the demo data into an empty database (DATABASE_URL, or the embedded one).
import { migrateUp } from './lib/migrations.ts';
import { withEmbeddedDatabase, root } from './lib/stack.ts';
import { ensureDemoData } from './seed/index.ts';
import { logger } from './lib/log.ts';

process.chdir(root);
await withEmbeddedDatabase(async (url) => {
  await migrateUp(url);
  const creds = await ensureDemoData(url);
  if (!creds) logger('seed').info('the database already has users: nothing seeded (demo data is only added to an empty database)');
});
