// `npm test`: lint, type check, build, then vitest (unit + integration) and Playwright against one
// PostgreSQL and one Temporal dev server started once for the whole run. Ends with one totals line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { JSONReport } from '@playwright/test/reporter';
import type { JsonTestResults } from 'vitest/reporters';
import { buildIfStale, dataDir, root } from './lib/stack.ts';
import { startTestInfra } from '../tests/support/infra.ts';
import { bold, logger } from './lib/log.ts';

const log = logger('test');
process.chdir(root);
const resultsDir = path.join(dataDir, 'test-results');
fs.rmSync(resultsDir, { recursive: true, force: true });
fs.mkdirSync(resultsDir, { recursive: true });

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}
const tallies: Record<string, Tally> = {};
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

/**
 * Runs one step to its end. Asynchronously, never with spawnSync: this process reads the logs of the
 * PostgreSQL and Temporal servers it started through pipes, and a blocked event loop stops draining them —
 * once a pipe is full, a server writing a log line (PostgreSQL's checkpointer announcing the checkpoint a
 * DROP DATABASE waits for) stops until the step ends.
 */
async function step(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  log.info(bold(`${name}…`));
  const t0 = Date.now();
  const status = await new Promise<number | string>((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: 'inherit' });
    child.once('error', (e) => resolve(e.message));
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const ok = status === 0;
  log.info(`${name} ${ok ? 'passed' : `FAILED (exit ${status})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return ok;
}

/** A reporter's JSON file, or null when it is missing or unreadable. */
const readJson = <T>(file: string): T | null => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
};

async function main() {
  const t0 = Date.now();
  // Static checks count as one test each, so a lint or type error shows in the totals.
  for (const [name, cmd, args] of [
    ['lint', bin('eslint'), ['.']],
    ['format', bin('prettier'), ['--check', '--log-level', 'warn', '.']],
    ['typecheck', bin('tsc'), ['--noEmit']],
  ] as const) {
    const ok = await step(name, cmd, [...args]);
    tallies[name] = { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 };
  }
  let built = true;
  try {
    buildIfStale(true);
  } catch (e) {
    built = false;
    log.error((e as Error).message);
  }
  tallies.build = { passed: built ? 1 : 0, failed: built ? 0 : 1, skipped: 0 };

  log.info(bold('starting PostgreSQL and the Temporal dev server for this run…'));
  const infra = await startTestInfra({
    name: 'run',
    pgPort: Number(process.env.OMS_TEST_PG_PORT ?? 54339),
    temporalPort: Number(process.env.OMS_TEST_TEMPORAL_PORT ?? 7244),
  });
  const env = { ...process.env, ...infra.env, CI: process.env.CI ?? '' };
  try {
    const vitestJson = path.join(resultsDir, 'vitest.json');
    await step('vitest (unit + integration)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`], env);
    const v = readJson<JsonTestResults>(vitestJson);
    tallies.vitest = v
      ? {
          passed: v.numPassedTests,
          failed: v.numFailedTests + (v.numFailedTestSuites && !v.numFailedTests ? v.numFailedTestSuites : 0),
          skipped: v.numPendingTests + v.numTodoTests,
        }
      : { passed: 0, failed: 1, skipped: 0 };

    if (built) {
      await step('playwright (Chromium)', bin('playwright'), ['test'], env);
      const p = readJson<JSONReport>(path.join(resultsDir, 'playwright.json'));
      tallies.playwright = p?.stats
        ? { passed: p.stats.expected + p.stats.flaky, failed: p.stats.unexpected + (p.errors?.length ?? 0), skipped: p.stats.skipped }
        : { passed: 0, failed: 1, skipped: 0 };
    }
  } finally {
    await infra.stop();
  }

  const total = Object.values(tallies).reduce((a, t) => ({ passed: a.passed + t.passed, failed: a.failed + t.failed, skipped: a.skipped + t.skipped }), {
    passed: 0,
    failed: 0,
    skipped: 0,
  });
  console.log('');
  for (const [name, t] of Object.entries(tallies)) console.log(`  ${name.padEnd(12)} ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  const shots = path.join(root, '.data', 'screenshots');
  if (fs.existsSync(shots))
    console.log(`  screenshots of every page, by role, language and width (the run's artefact): ${path.relative(process.cwd(), shots)}/`);
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  process.exit(total.failed > 0 ? 1 : 0);
}

main().catch((e) => {
  log.error(e instanceof Error ? e.stack : e);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
