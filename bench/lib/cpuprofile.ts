// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package, and inclusive
// time by function. Standalone: `node bench/lib/cpuprofile.ts <file.cpuprofile> [--from-ms N] [--top N]`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
const SOCKET_WRITES = new Set(['writeBuffer', 'writev', 'writeUtf8String', 'writeLatin1String']);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where a frame's code lives: a package of node_modules, node's own code, the app bundle, or a file. */
function area(url: string, name: string): string {
  if (!url) return SPECIAL.has(name) ? name : '(native)';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (file.startsWith('node:')) return 'node: (built-in modules)';
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 14).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const rel = path.relative(root, file);
  if (/(^|\/)server\/index\.js$/.test(rel)) return `app bundle (${rel})`;
  return rel.startsWith('..') ? file : rel;
}

function label(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  const file = f.url.startsWith('file://') ? fileURLToPath(f.url) : f.url;
  const nm = file.lastIndexOf('/node_modules/');
  const short = nm >= 0 ? file.slice(nm + 14) : path.relative(root, file).startsWith('..') ? file : path.relative(root, file);
  return `${name}  ${short}:${f.lineNumber + 1}`;
}

export interface ProfileSummary {
  sampledMs: number;
  busyMs: number;
  lines: string[];
}

/** Samples taken `fromMs` or later after the profile started (to leave out start-up). */
export function summariseProfile(file: string, opts: { fromMs?: number; toMs?: number; top?: number } = {}): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const top = opts.top ?? 25;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const selfArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const inclusiveArea = new Map<string, number>();
  const appInclusive = new Map<string, number>();
  const special = new Map<string, number>();
  let t = prof.startTime;
  let sampled = 0;
  let writes = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    const at = (t - prof.startTime) / 1000;
    if (opts.fromMs !== undefined && at < opts.fromMs) continue;
    if (opts.toMs !== undefined && at > opts.toMs) break;
    const w = Math.max(0, prof.timeDeltas[i + 1] ?? prof.timeDeltas[i] ?? 0) / 1000;
    sampled += w;
    const node = byId.get(prof.samples[i])!;
    const name = node.callFrame.functionName;
    if (!node.callFrame.url && SPECIAL.has(name)) {
      special.set(name, (special.get(name) ?? 0) + w);
      continue;
    }
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + w);
    const a = area(node.callFrame.url, name);
    selfArea.set(a, (selfArea.get(a) ?? 0) + w);
    const socketWrite = !node.callFrame.url && SOCKET_WRITES.has(name);
    if (socketWrite) writes += w;
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (!f.url && SPECIAL.has(f.functionName)) continue;
      const k = label(f);
      if (!seen.has(k)) {
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + w);
      }
      if (socketWrite) continue;
      const ak = `area:${area(f.url, f.functionName)}`;
      if (!seen.has(ak)) {
        seen.add(ak);
        inclusiveArea.set(ak.slice(5), (inclusiveArea.get(ak.slice(5)) ?? 0) + w);
      }
      if (area(f.url, f.functionName).startsWith('app bundle') && !seen.has(`app:${k}`)) {
        seen.add(`app:${k}`);
        appInclusive.set(k, (appInclusive.get(k) ?? 0) + w);
      }
    }
  }
  const idle = special.get('(idle)') ?? 0;
  const busy = sampled - idle;
  const pct = (v: number, of = busy) => `${((100 * v) / Math.max(of, 1e-9)).toFixed(1).padStart(5)}%`;
  const fmt = (v: number) => `${v.toFixed(0).padStart(7)} ms`;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const lines: string[] = [];
  lines.push(`sampled ${sampled.toFixed(0)} ms, busy (not idle) ${busy.toFixed(0)} ms; percentages are of busy time`);
  for (const [k, v] of sorted(special)) if (k !== '(idle)') lines.push(`  ${pct(v)} ${fmt(v)}  ${k}`);
  if (writes > 0.1 * busy) {
    lines.push(
      `  ${pct(writes)} ${fmt(writes)}  socket writes (writeBuffer, writev): when the CPUs are saturated, a sample lands here whenever`,
      '                    the thread lost its CPU to the process its write woke (PostgreSQL, the client), so this is largely time spent',
      '                    waiting for a CPU after a write, not CPU spent writing; /proc CPU times are the real cost',
    );
  }
  lines.push('', `self time by package / area (top ${top}):`);
  for (const [k, v] of sorted(selfArea).slice(0, top)) lines.push(`  ${pct(v)} ${fmt(v)}  ${k}`);
  const rest = busy - writes;
  lines.push(
    '',
    `time with the package anywhere on the stack, socket writes left out (of ${rest.toFixed(0)} ms; synchronous stacks only, so an`,
    'awaited call counts only up to its first await):',
  );
  for (const [k, v] of sorted(inclusiveArea)
    .filter(([k]) => !k.startsWith('node:') && k !== '(native)')
    .slice(0, top))
    lines.push(`  ${pct(v, rest)} ${fmt(v)}  ${k}`);
  lines.push('', `self time by function (top ${top}):`);
  for (const [k, v] of sorted(self).slice(0, top)) lines.push(`  ${pct(v)} ${fmt(v)}  ${k}`);
  lines.push('', "inclusive time of the app's own functions (app bundle), socket writes left out:");
  for (const [k, v] of sorted(appInclusive).slice(0, 15)) lines.push(`  ${pct(v, rest)} ${fmt(v)}  ${k}`);
  lines.push('', `inclusive time by function (top ${top}):`);
  for (const [k, v] of sorted(inclusive).slice(0, top)) lines.push(`  ${pct(v)} ${fmt(v)}  ${k}`);
  return { sampledMs: sampled, busyMs: busy, lines };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'from-ms': { type: 'string' }, 'to-ms': { type: 'string' }, top: { type: 'string' } },
  });
  if (!positionals[0]) {
    console.error('usage: node bench/lib/cpuprofile.ts <file.cpuprofile> [--from-ms N] [--to-ms N] [--top N]');
    process.exit(2);
  }
  const s = summariseProfile(positionals[0], {
    fromMs: values['from-ms'] ? Number(values['from-ms']) : undefined,
    toMs: values['to-ms'] ? Number(values['to-ms']) : undefined,
    top: values.top ? Number(values.top) : undefined,
  });
  console.log(s.lines.join('\n'));
}
