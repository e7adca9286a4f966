// Designer responsiveness: how long the flow designer (/workflows/<key>) takes to put every node of a
// large graph on the page, and how smoothly one node drags across the canvas, for a generated 300-node
// graph next to a 20-node baseline measured in the same run, in the same browser, on the same server.
//
//   npm run bench -- designer [--repeats 3] [--steps 60] [--no-profile]   (or node bench/designer.ts …)
//
// The stack is the browser tests' (tests/support): PostgreSQL + Temporal on ports of the bench's own, a
// fresh database with the small demo data, and the built web server (built into .data/build-bench-designer).
// Both graphs are written straight into workflow_definition (draft only). Debian's Chromium runs headless
// with the launch options of playwright.config.ts, signed in as ops_manager.
//
// First render = performance.now() (i.e. since navigation start) at the first DOM mutation after which
// all N `.react-flow__node` elements exist, recorded in the page by a MutationObserver installed before any
// page script; the time at which all edges are drawn (React Flow draws them once nodes are measured) is
// shown next to it. Median of --repeats fresh navigations.
// Drag = requestAnimationFrame timestamps collected in the page from mouse-down to mouse-up while the
// mouse drags one node across the canvas in --steps moves; fps = frames ÷ time, p95 = 95th percentile of
// the intervals between frames. A second drag of the 300-node graph is recorded as a Playwright trace
// (.data/bench/designer-trace.zip), and a third one is CPU-profiled through CDP (left out with --no-profile;
// the client bundle is minified, so the summary names bundle chunks and minified functions).
// The bench fails only on a crash, never because a figure misses its target.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Graph, GraphEdge, GraphNode } from '../workflows/graph.ts';
import type { TestApp } from '../tests/support/app.ts';
import { validateGraph } from '../app/modules/workflows/validate.ts';
import { summariseProfile } from './lib/cpuprofile.ts';
import { benchTeardown } from './lib/teardown.ts';

// The bench's own build folder (stack.ts reads OMS_BUILD_DIR when it is loaded, hence the late imports).
process.env.OMS_BUILD_DIR ??= '.data/build-bench-designer';
const { buildIfStale, root } = await import('../scripts/lib/stack.ts');
const { startTestInfra } = await import('../tests/support/infra.ts');
const { startTestApp } = await import('../tests/support/app.ts');

const { values: flags } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    steps: { type: 'string', default: '60' },
    'no-profile': { type: 'boolean', default: false },
  },
});
const REPEATS = Number(flags.repeats);
const STEPS = Number(flags.steps);
if (!(Number.isInteger(REPEATS) && REPEATS > 0) || !(Number.isInteger(STEPS) && STEPS > 0))
  throw new Error('--repeats and --steps take positive whole numbers');

const PG_PORT = 55651;
const TEMPORAL_PORT = 7651;
const OUT_DIR = path.join(root, '.data', 'bench');
const TRACE = path.join(OUT_DIR, 'designer-trace.zip');
const PROFILE = path.join(OUT_DIR, 'designer-drag.cpuprofile');
const TARGET_RENDER_MS = 1000;
const TARGET_FPS = 50;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// ---------------------------------------------------------------------------------------------
// Teardown: whatever was started is stopped in reverse order, on success, on error and on Ctrl-C.

const cleanup = benchTeardown({ onInterrupt: 'interrupted: stopping after the current step…' });
const checkInterrupted = cleanup.checkInterrupted;

// ---------------------------------------------------------------------------------------------
// The graphs: a trigger, then a long chain of steps with some condition diamonds (condition → route on
// "true", email on "false", both re-merging into the next step), ending in control.end. Laid out on a
// grid in chain order, row by row.

const COL_WIDTH = 260;
const ROW_HEIGHT = 120;

function generateGraph(size: number): Graph {
  if (size < 3) throw new Error('a graph needs at least a trigger, one step and an end');
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const cols = Math.max(4, Math.ceil(Math.sqrt(size * 1.5)));
  const add = (type: string, config: Record<string, unknown>, label: string) => {
    const i = nodes.length;
    const id = `n${i}`;
    nodes.push({ id, type, position: { x: (i % cols) * COL_WIDTH, y: Math.floor(i / cols) * ROW_HEIGHT }, data: { label, config } });
    return id;
  };
  const wire = (exits: [string, string][], target: string) => {
    for (const [source, handle] of exits) edges.push({ id: `${source}.${handle}->${target}`, source, sourceHandle: handle, target });
  };
  let exits: [string, string][] = [[add('control.trigger', { event: 'order.created' }, 'Order created'), 'out']];
  let step = 0;
  // Leave one node for the end.
  while (nodes.length < size - 1) {
    step++;
    if (step % 5 === 0 && nodes.length + 3 <= size - 1) {
      const cond = add('control.condition', { expression: `totalMinor > ${step * 100}` }, `Over ${step}?`);
      wire(exits, cond);
      const a = add('orders.route', {}, `Route ${step}`);
      const b = add('notifications.email', { template: 'order_confirmation' }, `Email ${step}`);
      wire([[cond, 'true']], a);
      wire([[cond, 'false']], b);
      exits = [
        [a, 'ok'],
        [b, 'ok'],
      ];
    } else {
      const id = step % 2 ? add('orders.route', {}, `Route ${step}`) : add('notifications.email', { template: 'order_shipped' }, `Email ${step}`);
      wire(exits, id);
      exits = [[id, 'ok']];
    }
  }
  wire(exits, add('control.end', { result: 'complete' }, 'Done'));
  return { nodes, edges };
}

async function insertDefinition(url: string, key: string, graph: Graph) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `insert into workflow_definition (key, name, description, kind, draft, draft_updated_at, draft_updated_by, created_at)
      values ($1, $2, $3, 'other', $4::jsonb, now(), null, now())`,
      [key, `Bench ${graph.nodes.length} nodes`, 'Generated by bench/designer.ts', JSON.stringify(graph)],
    );
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------
// In-page instruments.

interface BenchWindow {
  __benchRender?: { nodes: [number, number][]; edges: [number, number][] };
  __benchRenderStop?: () => void;
  __benchFrames?: number[];
  __benchFramesOn?: boolean;
}

/** Installed before any page script: logs [count, performance.now()] whenever the node or edge count changes. */
function installRenderProbe() {
  const w = window as unknown as BenchWindow;
  const log: { nodes: [number, number][]; edges: [number, number][] } = { nodes: [], edges: [] };
  w.__benchRender = log;
  const nodes = document.getElementsByClassName('react-flow__node');
  const edges = document.getElementsByClassName('react-flow__edge');
  let n = 0,
    e = 0;
  const observer = new MutationObserver(() => {
    const t = performance.now();
    if (nodes.length !== n) {
      n = nodes.length;
      log.nodes.push([n, t]);
    }
    if (edges.length !== e) {
      e = edges.length;
      log.edges.push([e, t]);
    }
  });
  observer.observe(document, { childList: true, subtree: true });
  w.__benchRenderStop = () => observer.disconnect();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};

interface RenderRun {
  nodesMs: number;
  edgesMs: number;
}
async function firstRender(page: Page, key: string, graph: Graph): Promise<RenderRun> {
  const n = graph.nodes.length,
    e = graph.edges.length;
  await page.goto(`/workflows/${key}`, { waitUntil: 'commit' });
  await page.waitForFunction(
    ([n, e]) => document.getElementsByClassName('react-flow__node').length >= n && document.getElementsByClassName('react-flow__edge').length >= e,
    [n, e] as const,
    { timeout: 60_000, polling: 50 },
  );
  const log = await page.evaluate(() => {
    const w = window as unknown as BenchWindow;
    w.__benchRenderStop?.();
    return w.__benchRender!;
  });
  const at = (entries: [number, number][], count: number) => entries.find(([c]) => c >= count)?.[1] ?? NaN;
  return { nodesMs: at(log.nodes, n), edgesMs: at(log.edges, e) };
}

interface DragRun {
  fps: number;
  p95: number;
  max: number;
  frames: number;
  ms: number;
  movedPx: number;
}
async function drag(page: Page, nodeId: string): Promise<DragRun> {
  const canvas = (await page.getByTestId('canvas').boundingBox())!;
  const node = page.locator(`.react-flow__node[data-id="${nodeId}"]`);
  const before = (await node.boundingBox())!;
  const x0 = before.x + before.width / 2,
    y0 = before.y + Math.min(before.height / 3, 12);
  // Across the canvas: to the far side horizontally, a little down or up, staying inside it.
  const x1 = x0 < canvas.x + canvas.width / 2 ? canvas.x + canvas.width * 0.85 : canvas.x + canvas.width * 0.15;
  const y1 = Math.min(canvas.y + canvas.height - 20, Math.max(canvas.y + 20, y0 + canvas.height * 0.2 * (y0 < canvas.y + canvas.height / 2 ? 1 : -1)));
  await page.mouse.move(x0, y0);
  await page.evaluate(() => {
    const w = window as unknown as BenchWindow;
    w.__benchFrames = [];
    w.__benchFramesOn = true;
    const loop = (t: number) => {
      if (!w.__benchFramesOn) return;
      w.__benchFrames!.push(t);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  await page.mouse.down();
  await page.mouse.move(x1, y1, { steps: STEPS });
  await page.mouse.up();
  // One more frame, so that the last move's frame is counted.
  const frames = await page.evaluate(
    () =>
      new Promise<number[]>((resolve) =>
        requestAnimationFrame(() => {
          const w = window as unknown as BenchWindow;
          w.__benchFramesOn = false;
          resolve(w.__benchFrames!);
        }),
      ),
  );
  const after = (await node.boundingBox())!;
  if (Math.hypot(after.x - before.x, after.y - before.y) < 50) throw new Error(`the drag did not move node ${nodeId}: no figure to give`);
  const deltas = frames.slice(1).map((t, i) => t - frames[i]);
  const ms = frames.at(-1)! - frames[0];
  return {
    fps: ((frames.length - 1) * 1000) / ms,
    p95: quantile(deltas, 0.95),
    max: Math.max(...deltas),
    frames: frames.length,
    ms,
    movedPx: Math.hypot(after.x - before.x, after.y - before.y),
  };
}

interface Result {
  size: number;
  edges: number;
  renders: RenderRun[];
  drag: DragRun;
  traced?: DragRun;
}

async function measure(browser: Browser, app: TestApp, key: string, graph: Graph, opts: { trace?: boolean; profile?: boolean } = {}): Promise<Result> {
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1600, height: 900 } });
  try {
    const page = await context.newPage();
    await signIn(page, app);
    await page.addInitScript(installRenderProbe);
    const renders: RenderRun[] = [];
    for (let i = 0; i < REPEATS; i++) {
      checkInterrupted();
      renders.push(await firstRender(page, key, graph));
    }
    // Let the last load settle (fitView, minimap) before dragging.
    await page.waitForTimeout(500);
    // The node nearest the middle of the view (the canvas opens at a readable zoom, so a large graph shows
    // only part of itself: the dragged node must be one the person sees).
    const middle = await page.getByTestId('canvas').evaluate((canvas) => {
      const c = canvas.getBoundingClientRect();
      const [cx, cy] = [c.x + c.width / 2, c.y + c.height / 2];
      let best: { id: string; d: number } | null = null;
      for (const el of canvas.querySelectorAll<HTMLElement>('.react-flow__node')) {
        const r = el.getBoundingClientRect();
        const d = Math.hypot(r.x + r.width / 2 - cx, r.y + r.height / 2 - cy);
        if (!best || d < best.d) best = { id: el.dataset.id!, d };
      }
      return best!.id;
    });
    const result: Result = { size: graph.nodes.length, edges: graph.edges.length, renders, drag: await drag(page, middle) };
    if (opts.trace) {
      await page.waitForTimeout(300);
      await context.tracing.start({ screenshots: false, snapshots: false });
      result.traced = await drag(page, middle);
      fs.mkdirSync(OUT_DIR, { recursive: true });
      await context.tracing.stop({ path: TRACE });
    }
    if (opts.profile) {
      await page.waitForTimeout(300);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
      await drag(page, middle);
      const { profile } = await cdp.send('Profiler.stop');
      fs.writeFileSync(PROFILE, JSON.stringify(profile));
    }
    return result;
  } finally {
    await context.close();
  }
}

async function signIn(page: Page, app: TestApp) {
  const user = app.credentials.users.find((u) => u.role === 'ops_manager')!;
  await page.goto('/login');
  await page.getByTestId('login-email').fill(user.email);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

// ---------------------------------------------------------------------------------------------

const fmt = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '—');

async function main() {
  const big = generateGraph(300);
  const small = generateGraph(20);
  for (const g of [big, small]) {
    const errors = validateGraph(g);
    if (errors.length) throw new Error(`the generated ${g.nodes.length}-node graph is not valid: ${JSON.stringify(errors.slice(0, 5))}`);
  }

  console.log(`[bench] building into ${process.env.OMS_BUILD_DIR} if stale…`);
  buildIfStale();
  checkInterrupted();
  console.log('[bench] starting PostgreSQL, Temporal and the web server…');
  const infra = await startTestInfra({ name: 'bench-designer', pgPort: PG_PORT, temporalPort: TEMPORAL_PORT });
  cleanup.add('infrastructure', () => infra.stop());
  Object.assign(process.env, infra.env);
  const app = await startTestApp({ worker: false });
  cleanup.add('web server', () => app.stop());
  checkInterrupted();

  await insertDefinition(app.db.url, 'bench-designer-300', big);
  await insertDefinition(app.db.url, 'bench-designer-20', small);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  cleanup.add('browser', () => browser.close());
  console.log(`[bench] ${app.url}; measuring ${REPEATS} loads and a ${STEPS}-step drag per graph…`);

  // Baseline first (it also warms the server's route and the browser's cache of the bundle).
  const baseline = await measure(browser, app, 'bench-designer-20', small);
  checkInterrupted();
  const large = await measure(browser, app, 'bench-designer-300', big, { trace: true, profile: !flags['no-profile'] });

  // What one drag step costs in the designer's own code, outside the browser: every position change
  // makes a new graph, and a new graph is re-validated (validateGraph) on every step.
  const validateMs = (g: Graph) => {
    validateGraph(g);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) validateGraph(g);
    return (performance.now() - t0) / 20;
  };

  console.log('');
  console.log(`Designer (${STEPS}-step drag; first render = all nodes in the DOM, median of ${REPEATS} loads; edges drawn shown alongside)`);
  console.log(
    'graph size        | first render ms | (all edges ms) | drag avg fps | p95 frame ms | max frame ms | validateGraph ms/step | render < 1 s | drag ≥ 50 fps',
  );
  console.log(
    '------------------|-----------------|----------------|--------------|--------------|--------------|-----------------------|--------------|--------------',
  );
  for (const [r, g, tag] of [
    [baseline, small, ' (baseline)'],
    [large, big, ''],
  ] as const) {
    const render = median(r.renders.map((x) => x.nodesMs));
    const edges = median(r.renders.map((x) => x.edgesMs));
    console.log(
      [
        `${r.size} nodes/${r.edges} edges${tag}`.padEnd(17),
        fmt(render).padStart(15),
        fmt(edges).padStart(14),
        fmt(r.drag.fps, 1).padStart(12),
        fmt(r.drag.p95, 1).padStart(12),
        fmt(r.drag.max, 1).padStart(12),
        fmt(validateMs(g), 2).padStart(21),
        (render < TARGET_RENDER_MS ? 'met' : 'MISSED').padStart(12),
        (r.drag.fps >= TARGET_FPS ? 'met' : 'MISSED').padStart(12),
      ].join(' | '),
    );
  }
  console.log('');
  console.log(`targets: first render < ${TARGET_RENDER_MS} ms, drag ≥ ${TARGET_FPS} fps (300 nodes); the 20-node row is the baseline of the same run.`);
  for (const r of [baseline, large]) {
    console.log(
      `  ${r.size} nodes: loads ${r.renders.map((x) => `${fmt(x.nodesMs)}/${fmt(x.edgesMs)}`).join(', ')} ms (nodes/edges); drag ${r.drag.frames} frames in ${fmt(r.drag.ms)} ms, node moved ${fmt(r.drag.movedPx)} px`,
    );
  }
  if (large.traced)
    console.log(`  traced 300-node drag: ${fmt(large.traced.fps, 1)} fps, p95 ${fmt(large.traced.p95, 1)} ms; trace: ${path.relative(root, TRACE)}`);
  if (!flags['no-profile'] && fs.existsSync(PROFILE)) {
    const s = summariseProfile(PROFILE, { top: 12 });
    console.log(`\nCPU profile of a 300-node drag (${path.relative(root, PROFILE)}): ${fmt(s.busyMs)} ms busy of ${fmt(s.sampledMs)} ms sampled`);
    for (const l of s.lines) console.log(`  ${l}`);
  }
}

await cleanup.exitWith(main);
