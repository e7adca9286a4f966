// The loops of a workflow graph, for the interpreter's dead-path rules and for publishing checks.
// Pure and deterministic (the workflow sandbox runs it on every replay).
//
// A loop is found by its way back: a depth-first walk from the trigger meets an edge into a node it is
// still inside of (the loop's head). The loop is that head plus every node on a way from the head
// round to the edge's source (nodes that reach the source without passing the head, and that the
// head reaches). Loops sharing a head are one loop; a loop inside another has a head of its own.

export interface Loop {
  /** Where the way back leads: the loop's entrance. */
  head: string;
  nodes: ReadonlySet<string>;
}

export interface Loops {
  /** Every loop, by the order in which the walk met its head (outer loops before those inside them). */
  loops: readonly Loop[];
  /** The loops a node is in (indices into `loops`), none when it is in no cycle. */
  of(id: string): readonly number[];
  /** Whether the edge source → target is a way back to a loop's head. */
  isBack(source: string, target: string): boolean;
  /** The outermost loop the edge source → target leaves (source in it, target not), if any. */
  leaves(source: string, target: string): number | undefined;
}

export function findLoops(start: string, successors: (id: string) => readonly string[]): Loops {
  // Depth-first walk (with an explicit stack: a drawn graph may be long), noting each way back.
  const back = new Map<string, Set<string>>();
  const order = new Map<string, number>([[start, 0]]);
  const inside = new Set<string>([start]);
  const stack: { id: string; next: readonly string[]; i: number }[] = [{ id: start, next: successors(start), i: 0 }];
  const predecessors = new Map<string, string[]>();
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.i >= top.next.length) {
      inside.delete(top.id);
      stack.pop();
      continue;
    }
    const t = top.next[top.i++];
    if (!predecessors.get(t)?.includes(top.id)) predecessors.set(t, [...(predecessors.get(t) ?? []), top.id]);
    if (inside.has(t)) {
      if (!back.has(t)) back.set(t, new Set());
      back.get(t)!.add(top.id);
    } else if (!order.has(t)) {
      order.set(t, order.size);
      inside.add(t);
      stack.push({ id: t, next: successors(t), i: 0 });
    }
  }

  const reach = (from: string) => {
    const found = new Set<string>([from]);
    const queue = [from];
    while (queue.length)
      for (const t of successors(queue.shift()!))
        if (!found.has(t)) {
          found.add(t);
          queue.push(t);
        }
    return found;
  };
  const heads = [...back.keys()].sort((a, b) => order.get(a)! - order.get(b)!);
  const loops: Loop[] = heads.map((head) => {
    const ahead = reach(head);
    const nodes = new Set<string>([head]);
    const queue = [...back.get(head)!].filter((s) => s !== head);
    for (const s of queue) nodes.add(s);
    while (queue.length) {
      for (const p of predecessors.get(queue.shift()!) ?? [])
        if (!nodes.has(p) && ahead.has(p)) {
          nodes.add(p);
          queue.push(p);
        }
    }
    return { head, nodes };
  });

  const of = new Map<string, number[]>();
  loops.forEach((l, i) => {
    for (const id of l.nodes) of.set(id, [...(of.get(id) ?? []), i]);
  });
  const none: readonly number[] = [];
  return {
    loops,
    of: (id) => of.get(id) ?? none,
    isBack: (source, target) => back.get(target)?.has(source) ?? false,
    leaves: (source, target) => {
      let outer: number | undefined;
      for (const i of of.get(source) ?? none) {
        if (loops[i].nodes.has(target)) continue;
        if (outer === undefined || loops[i].nodes.size > loops[outer].nodes.size) outer = i;
      }
      return outer;
    },
  };
}
