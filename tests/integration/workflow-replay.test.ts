// Determinism guard: every recorded history of a seeded flow (tests/fixtures/workflow-histories,
// written by `node scripts/record-workflow-histories.ts` on the real stack) replays against today's
// workflow code without a non-determinism error. A change to the interpreter that would break runs
// already going fails here. A change guarded by patched() records new fixtures with a tag naming it
// (`--tag <patch>`) next to the older ones, so that both the runs from before it and after it replay:
//   <flow>.json                   the first interpreter (no patch)
//   <flow>.sla-timers.json        with SLA timers, recorded by that version (`--workflows`) on plans that
//                                 already mark local steps (as in a rolling deploy): they must still run
//                                 as ordinary activities
//   <flow>.local-activities.json  with local activities (the interpreter before loop-exits)
//   <flow>.loop-exits.json        dead tokens leave a loop only once it has finished (the interpreter before cancellation-saga)
//   <flow>.cancellation-saga.json the current interpreter: a cancellation requested in Temporal runs the saga
// Besides the seeded flows, loop-join (LOOP_JOIN in the recorder: a loop on one branch of a split, a
// join after both) was recorded before loop-exits, where its join fires early (and twice), and after:
// the old run must replay as it ran, which only the patch guard allows. And standard-order-cancelled:
// a Standard order run cancelled in Temporal while it waits to be packed, which undoes its steps and
// closes as cancelled.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { historyFromJSON } from '../support/histories.ts';

const dir = path.resolve('tests/fixtures/workflow-histories');
const fixtures = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('recorded workflow histories', () => {
  it('has one for every seeded flow and every version of the interpreter', () => {
    const seeded = ['reorder', 'standard-order', 'standard-return'].flatMap((flow) =>
      ['', '.local-activities', '.loop-exits', '.sla-timers', '.cancellation-saga'].map((tag) => `${flow}${tag}.json`),
    );
    expect(fixtures).toEqual(
      [...seeded, 'loop-join.local-activities.json', 'loop-join.loop-exits.json', 'standard-order-cancelled.cancellation-saga.json'].sort(),
    );
  });

  it('replay against the current workflow code without a determinism error', async () => {
    const histories = fixtures.map((f) => ({
      workflowId: path.basename(f, '.json'),
      history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))),
    }));
    const replayed: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: path.resolve('workflows/index.ts') }, histories)) {
      expect(r.error, `${r.workflowId}: ${r.error?.message}`).toBeUndefined();
      replayed.push(r.workflowId);
    }
    expect(replayed).toEqual(fixtures.map((f) => path.basename(f, '.json')));
  }, 120_000);
});
