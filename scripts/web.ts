// The web process: `npm run web` (external mode) or started by scripts/start.ts. Serves the built app.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerBuild } from '@remix-run/node';
import { logger } from './lib/log.ts';

const log = logger('web');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.resolve(root, process.env.OMS_BUILD_DIR ?? 'build');

async function main() {
  const serverEntry = path.join(buildDir, 'server', 'index.js');
  if (!fs.existsSync(serverEntry)) throw new Error('No build found: run `npm run build` first (npm start does it for you).');
  const build = (await import(pathToFileURL(serverEntry).href)) as ServerBuild & {
    entry: { module: { startWebServer: typeof import('../app/lib/web.server.ts').startWebServer } };
  };
  const server = await build.entry.module.startWebServer({ build, clientDir: path.join(buildDir, 'client') });
  log.info(`listening on ${server.url}`);
  const stop = async () => {
    log.info('shutting down…');
    await server.close();
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((e) => {
  log.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
