// The simulation against real runs: every recorded history (tests/fixtures/workflow-histories, recorded
// on the real stack by the interpreter) is simulated on its own plan, told what the run's steps
// answered (activity results, signals, decisions), and must walk the same way: the same activity
// visits in the run, and for a run that completed, the same visits of every node (joins, skipped
// branches and loops included). The simulation and the interpreter share workflows/walk.ts; this
// catches either drifting from what runs really do.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph, Plan, PlanNode } from '../../../workflows/graph.ts';
import type { RunState } from '../../../workflows/interpreter.ts';
import { simulate } from './simulate.ts';

const dir = path.resolve(import.meta.dirname, '../../../tests/fixtures/workflow-histories');

interface Payloads {
  payloads?: { data?: string }[];
}
interface HistoryEvent {
  eventId: string;
  eventType: string;
  workflowExecutionStartedEventAttributes?: { input: Payloads };
  activityTaskScheduledEventAttributes?: { activityType: { name: string }; input: Payloads };
  activityTaskCompletedEventAttributes?: { scheduledEventId: string; result?: Payloads };
  markerRecordedEventAttributes?: { markerName: string; details?: Record<string, Payloads> };
  workflowExecutionSignaledEventAttributes?: { signalName: string; input?: Payloads };
  workflowExecutionCompletedEventAttributes?: { result?: Payloads };
}

const decode = (p?: Payloads): unknown => {
  const data = p?.payloads?.[0]?.data;
  return data ? JSON.parse(Buffer.from(data, 'base64').toString('utf8')) : undefined;
};

interface Recorded {
  plan: Plan;
  trigger: { type: string; payload: Record<string, unknown> };
  /** `nodeId:visit` → what the activity answered (ordinary activities, by their key). */
  activities: Map<string, { handle?: string; output?: Record<string, unknown> }>;
  /** Local activities' answers by activity name, in the order they ran (their markers carry no key). */
  local: Map<string, { handle?: string; output?: Record<string, unknown> }[]>;
  signals: Map<string, Record<string, unknown>[]>;
  decisions: Map<string, string>;
  final: RunState | null;
}

function read(file: string): Recorded {
  const events = (JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { events: HistoryEvent[] }).events;
  const start = decode(events[0].workflowExecutionStartedEventAttributes!.input) as { plan: Plan; trigger: Recorded['trigger'] };
  const scheduled = new Map<string, { type: string; key: string }>();
  const rec: Recorded = {
    plan: start.plan,
    trigger: start.trigger,
    activities: new Map(),
    local: new Map(),
    signals: new Map(),
    decisions: new Map(),
    final: null,
  };
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(e.eventId, { type: s.activityType.name, key: (decode(s.input) as { key: string }).key });
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      // A node's own step (not a human task's open/close, an SLA alert or an undo): its key ends in :<node>:<visit>.
      const { type, key } = scheduled.get(c.scheduledEventId)!;
      const m = /:([^:]+):(\d+)$/.exec(key);
      if (m && start.plan.nodes[m[1]]?.activity === type) rec.activities.set(`${m[1]}:${m[2]}`, (decode(c.result) ?? {}) as { handle?: string });
    }
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName === 'core_local_activity') {
      const data = decode(m.details?.data) as { activity_type: string };
      if (!data.activity_type.startsWith('workflow.')) {
        const list = rec.local.get(data.activity_type) ?? [];
        list.push((decode(m.details?.result) ?? {}) as { handle?: string });
        rec.local.set(data.activity_type, list);
      }
    }
    const sig = e.workflowExecutionSignaledEventAttributes;
    if (sig) {
      const payload = (decode(sig.input) ?? {}) as Record<string, unknown>;
      if (sig.signalName === 'decision') rec.decisions.set(String(payload.nodeId), String(payload.decision));
      else {
        const name = sig.signalName === 'custom' ? `custom:${String(payload.name)}` : sig.signalName;
        rec.signals.set(name, [...(rec.signals.get(name) ?? []), ((sig.signalName === 'custom' ? payload.payload : payload) as Record<string, unknown>) ?? {}]);
      }
    }
    const done = e.workflowExecutionCompletedEventAttributes;
    if (done) rec.final = decode(done.result) as RunState;
  }
  return rec;
}

/** The plan drawn back as a graph (what the simulation takes). */
const graphOf = (plan: Plan): Graph => ({
  nodes: Object.values(plan.nodes).map((n) => ({ id: n.id, type: n.type, position: { x: 0, y: 0 }, data: { label: n.label, config: n.config } })),
  edges: Object.values(plan.nodes).flatMap((n) =>
    Object.entries(n.next).flatMap(([handle, targets]) =>
      targets.map((t, i) => ({ id: `${n.id}-${handle}-${i}`, source: n.id, sourceHandle: handle, target: t })),
    ),
  ),
});

// loop-join.local-activities was recorded by the interpreter before loop-exits, whose join after the
// loop fired early (and twice): that run replays as it ran, but today's walk (and so the simulation)
// does what loop-join.loop-exits recorded instead.
const fixtures = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json') && f !== 'loop-join.local-activities.json')
  .sort();

describe('the simulation walks as the recorded runs did', () => {
  it('has runs to compare with, completed ones among them', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(16);
    expect(fixtures.filter((f) => read(f).final !== null).length).toBeGreaterThanOrEqual(10);
  });

  it.each(fixtures)('%s', async (file) => {
    const run = read(file);
    const localSeen = new Map<string, number>();
    const signalSeen = new Map<string, number>();
    const decide = (n: PlanNode, visit: number) => {
      if (n.kind === 'activity') {
        let r = run.activities.get(`${n.id}:${visit}`);
        if (!r && n.local) {
          const i = localSeen.get(n.activity!) ?? 0;
          localSeen.set(n.activity!, i + 1);
          r = run.local.get(n.activity!)?.[i];
        }
        return r ? { handles: [r.handle ?? 'ok'], output: r.output ?? {} } : undefined;
      }
      if (n.primitive === 'signal') {
        const name = n.config.signal === 'custom' ? `custom:${String(n.config.name)}` : String(n.config.signal);
        const i = signalSeen.get(name) ?? 0;
        signalSeen.set(name, i + 1);
        const got = run.signals.get(name)?.[i];
        return got ? { handles: ['received'], output: got } : { handles: ['timeout'] };
      }
      if (n.primitive === 'human') {
        const d = run.decisions.get(n.id) ?? 'timeout';
        return { handles: [d], output: { decision: d } };
      }
      return undefined;
    };
    const sim = await simulate(graphOf(run.plan), run.trigger.payload, { event: run.trigger.type, decide, maxSteps: 500 });
    expect(sim.problems).toEqual([]);

    const visitsIn = (path: string[]) => {
      const seen = new Map<string, number>();
      return path.map((id) => `${id}:${seen.set(id, (seen.get(id) ?? 0) + 1).get(id)}`);
    };
    // The steps the run ran, each visit of each: the simulation reaches exactly those. Local ones have
    // no key in their markers: they are counted per activity, for plans where one node runs it.
    const nodesOf = (activity: string) => Object.values(run.plan.nodes).filter((n) => n.activity === activity);
    const ran = [
      ...run.activities.keys(),
      ...[...run.local].flatMap(([activity, results]) => {
        const [only, ...more] = nodesOf(activity);
        return only && !more.length ? results.map((_, i) => `${only.id}:${i + 1}`) : [];
      }),
    ].sort();
    const counted = new Set(ran.map((v) => v.replace(/:\d+$/, '')));
    const simulated = visitsIn(sim.path).filter((v) => {
      const id = v.replace(/:\d+$/, '');
      return run.plan.nodes[id].kind === 'activity' && (counted.has(id) || nodesOf(run.plan.nodes[id].activity!).length === 1);
    });
    // A cancelled run stopped where it was cancelled: the simulation may go further, never elsewhere.
    if (run.final) expect(simulated.sort()).toEqual(ran);
    else expect(simulated.slice(0, ran.length).sort()).toEqual(ran);

    if (run.final) {
      const visits = Object.fromEntries(Object.keys(run.plan.nodes).map((id) => [id, sim.path.filter((x) => x === id).length]));
      expect(visits).toEqual(Object.fromEntries(Object.entries(run.final.steps).map(([id, s]) => [id, s.visits])));
    }
  });
});
