import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createOrm } from '../../app/lib/db.server.ts';
import { User } from '../../entities/index.ts';
import { dataDir } from '../lib/stack.ts';
import { logger } from '../lib/log.ts';
import { seedDemoData, type DemoCredentials } from './demo.ts';

const log = logger('seed');
const credentialsFile = path.join(dataDir, 'credentials.json');

export function readCredentials(): DemoCredentials | null {
  try {
    return JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as DemoCredentials;
  } catch {
    return null;
  }
}

/** Seeds the demo data on the first run only (an empty user table), then writes the credentials file. */
export async function ensureDemoData(url: string, opts: { size?: 'demo' | 'small' } = {}): Promise<DemoCredentials | null> {
  const orm = await createOrm({ url });
  try {
    if ((await orm.em.fork().count(User, {})) > 0) return null;
    const t0 = Date.now();
    const passwordFor = () => crypto.randomBytes(9).toString('base64url');
    let lastPct = -1;
    const creds = await seedDemoData(orm, {
      size: opts.size ?? 'demo',
      passwordFor,
      onProgress: (step, done, total) => {
        const pct = Math.floor((done / total) * 100);
        if (pct === lastPct && done !== total) return;
        lastPct = pct;
        if (process.stdout.isTTY) process.stdout.write(`\r[seed] ${step.padEnd(12)} ${bar(pct)} ${pct}%   `);
        else if (pct % 25 === 0) log.info(`${step} ${pct}%`);
        if (done === total) {
          lastPct = -1;
          if (process.stdout.isTTY) process.stdout.write('\n');
        }
      },
    });
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(credentialsFile, JSON.stringify(creds, null, 2), { mode: 0o600 });
    log.info(`demo data seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s; credentials in ${path.relative(process.cwd(), credentialsFile)}`);
    return creds;
  } finally {
    await orm.close();
  }
}

const bar = (pct: number) => `[${'#'.repeat(Math.round(pct / 5)).padEnd(20, '.')}]`;
