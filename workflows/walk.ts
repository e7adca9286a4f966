// How tokens move through a plan: the one walker of workflow graphs. The interpreter runs flows with it
// and the designer's what-if simulation walks drafts with it, so a shape (a join after a skipped branch,
// a loop's exits) is simulated exactly as it runs. Pure and deterministic (the workflow sandbox runs it
// on every replay): the caller says what running a node means; the walk decides what runs next.
//
// Dead-path elimination: a branch not taken sends "dead" tokens, so joins and merges know not to wait
// for it. In a loop (`loopExits`) a dead token means "not this time round": one on the way back is
// dropped (the head has its entrance to go by), and one on an exit is held until no live token is left
// in the loop, then sent on once unless the loop has left by that exit. Without it, a condition that
// goes round again told the join after the loop that the loop's branch would never come.
import { findLoops, type Loops } from './loops.ts';

/** What the walk needs of a plan's nodes (the interpreter's Plan has it). */
export interface WalkNode {
  primitive?: string;
  incoming: number;
  next: Record<string, string[]>;
}
export interface WalkPlan {
  trigger: string;
  nodes: Record<string, WalkNode>;
}

/** Exits of a loop as JSON `[source, handle, index in next[handle]]`. */
export interface LoopExits {
  held: string[];
  taken: string[];
  sent: string[];
}

export interface WalkState {
  /** Arrivals at nodes still waiting for other branches (joins), and dead tokens counted so far. */
  arrivals: Record<string, { live: number; dead: number }>;
  /** Per loop (by its head): the dead tokens held back at its exits, and the exits taken or already told dead. */
  loops?: Record<string, LoopExits>;
}

export interface WalkHooks {
  /** Runs the node and, when it ends, calls `walk.leave(id, handles)` with the handles it took. */
  run(id: string): Promise<void>;
  /** The node will not run this time (every way into it was skipped). */
  skipped(id: string): void;
}

export class Walk {
  readonly loops: Loops;
  readonly arrivals: Record<string, { live: number; dead: number }>;
  /** Live tokens on the move: nodes running or about to run (not those parked at a join until its other branches arrive). */
  moving = 1;
  /** Per loop: live tokens in it (running, or parked at a join in it), and its exits (reset each time a token enters it afresh). */
  private readonly loopRuns: { tokens: number; held: Set<string>; taken: Set<string>; sent: Set<string> }[];
  /** Edges into each node that are ways back. */
  private readonly backInto: Record<string, number> = {};

  private readonly plan: WalkPlan;
  private readonly loopExits: boolean;
  private readonly hooks: WalkHooks;

  constructor(plan: WalkPlan, loopExits: boolean, hooks: WalkHooks, resume?: WalkState & { nodeId: string }) {
    this.plan = plan;
    this.loopExits = loopExits;
    this.hooks = hooks;
    this.arrivals = resume?.arrivals ?? {};
    this.loops = findLoops(plan.trigger, (id) => Object.values(plan.nodes[id]?.next ?? {}).flat());
    this.loopRuns = this.loops.loops.map((l) => {
      const saved = resume?.loops?.[l.head];
      return { tokens: 0, held: new Set(saved?.held), taken: new Set(saved?.taken), sent: new Set(saved?.sent) };
    });
    for (const [id, n] of Object.entries(plan.nodes))
      for (const t of Object.values(n.next).flat()) if (this.loops.isBack(id, t)) this.backInto[t] = (this.backInto[t] ?? 0) + 1;
    if (loopExits) {
      // The token that starts this walk, and those parked at joins (a run continued as new has no other).
      const first = resume?.nodeId ?? plan.trigger;
      for (const l of this.loops.of(first)) this.loopRuns[l].tokens++;
      for (const [id, a] of Object.entries(this.arrivals))
        if (plan.nodes[id]?.primitive === 'join') for (const l of this.loops.of(id)) this.loopRuns[l].tokens += a.live;
    }
  }

  /** A token reaches `id`: a join runs once every way into it has arrived (live or dead); a node all of whose ways in were skipped is skipped. */
  async arrive(id: string, live: boolean, back = false): Promise<void> {
    if (!live && back && this.loopExits) return;
    const node = this.plan.nodes[id];
    const a = (this.arrivals[id] ??= { live: 0, dead: 0 });
    if (live) a.live++;
    else a.dead++;
    if (node.primitive === 'join') {
      if (live) this.moving--;
      if (a.live + a.dead < node.incoming) return;
      const merged = a.live;
      this.arrivals[id] = { live: 0, dead: 0 };
      if (!merged) return this.skip(id);
      this.moving++;
      if (this.loopExits) for (const l of this.loops.of(id)) this.loopRuns[l].tokens -= merged - 1;
      return this.hooks.run(id);
    }
    if (!live) {
      const forward = node.incoming - (this.loopExits ? (this.backInto[id] ?? 0) : 0);
      if (a.live === 0 && a.dead >= forward) {
        this.arrivals[id] = { live: 0, dead: 0 };
        return this.skip(id);
      }
      return;
    }
    return this.hooks.run(id);
  }

  /** The node ran and took `handles`: a live token leaves on each of their edges, a dead one on every other. */
  async leave(id: string, handles: readonly string[]): Promise<void> {
    const node = this.plan.nodes[id];
    const taken = new Set(handles);
    const targets = Object.entries(node.next).flatMap(([handle, ts]) => ts.map((t, index) => ({ t, handle, index, live: taken.has(handle) })));
    // This token ends here; one leaves on each live edge (counted before any of them moves).
    this.moving += targets.filter((x) => x.live).length - 1;
    const released: Promise<void>[] = [];
    if (this.loopExits) {
      for (const x of targets.filter((y) => y.live)) {
        for (const l of this.loops.of(x.t))
          if (this.loopRuns[l].tokens++ === 0) Object.assign(this.loopRuns[l], { held: new Set(), taken: new Set(), sent: new Set() });
        const left = this.loops.leaves(id, x.t);
        if (left !== undefined) this.loopRuns[left].taken.add(exitKey(id, x.handle, x.index));
      }
      for (const l of this.loops.of(id)) if (--this.loopRuns[l].tokens === 0) released.push(...this.release(l));
    }
    await Promise.all([...released, ...targets.map((x) => (x.live ? this.arrive(x.t, true) : this.dead(id, x.handle, x.index)))]);
  }

  /** What a run continued as new carries over. */
  saved(): WalkState {
    const loops = Object.fromEntries(
      this.loopRuns.flatMap((r, l) =>
        r.held.size || r.taken.size || r.sent.size ? [[this.loops.loops[l].head, { held: [...r.held], taken: [...r.taken], sent: [...r.sent] }]] : [],
      ),
    );
    return { arrivals: this.arrivals, ...(this.loopExits ? { loops } : {}) };
  }

  /** A dead token along one edge: held at a loop's exit while the loop still has live tokens. */
  private dead(source: string, handle: string, index: number): Promise<void> {
    const target = this.plan.nodes[source].next[handle][index];
    if (!this.loopExits) return this.arrive(target, false);
    const l = this.loops.leaves(source, target);
    if (l !== undefined) {
      const r = this.loopRuns[l],
        key = exitKey(source, handle, index);
      if (r.taken.has(key) || r.sent.has(key)) return Promise.resolve();
      if (r.tokens > 0) {
        r.held.add(key);
        return Promise.resolve();
      }
      r.sent.add(key);
    }
    return this.arrive(target, false, this.loops.isBack(source, target));
  }

  /** A loop with no live token left has finished this time round: its held exits go dead, but those it left by. */
  private release(l: number): Promise<void>[] {
    const r = this.loopRuns[l];
    const keys = [...r.held].filter((k) => !r.taken.has(k) && !r.sent.has(k));
    r.held.clear();
    return keys.map((k) => {
      r.sent.add(k);
      const [source, handle, index] = JSON.parse(k) as [string, string, number];
      const target = this.plan.nodes[source].next[handle][index];
      return this.arrive(target, false, this.loops.isBack(source, target));
    });
  }

  private async skip(id: string): Promise<void> {
    this.hooks.skipped(id);
    await Promise.all(Object.entries(this.plan.nodes[id].next).flatMap(([handle, ts]) => ts.map((_, i) => this.dead(id, handle, i))));
  }
}

const exitKey = (source: string, handle: string, index: number) => JSON.stringify([source, handle, index]);
