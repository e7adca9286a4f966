// Determinism guard: every recorded history of a seeded flow (tests/fixtures/workflow-histories,
// written by `node scripts/record-workflow-histories.ts` on the real stack) replays against today's
// workflow code without a non-determinism error. A change to the interpreter that would break runs
// already going fails here; re-record the fixtures only when such a break is intended (and versioned).
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { historyFromJSON } from '../support/histories.ts';

const dir = path.resolve('tests/fixtures/workflow-histories');
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('recorded workflow histories', () => {
  it('has one for every seeded flow', () => {
    expect(fixtures).toEqual(['reorder.json', 'standard-order.json', 'standard-return.json']);
  });

  it('replay against the current workflow code without a determinism error', async () => {
    const histories = fixtures.map((f) => ({ workflowId: path.basename(f, '.json'), history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) }));
    const replayed: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: path.resolve('workflows/index.ts') }, histories)) {
      expect(r.error, `${r.workflowId}: ${r.error?.message}`).toBeUndefined();
      replayed.push(r.workflowId);
    }
    expect(replayed).toEqual(fixtures.map((f) => path.basename(f, '.json')));
  }, 120_000);
});
