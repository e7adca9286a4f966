// `npm run bench [-- <name>… [flags]]`: runs each benchmark of bench/ in its own process, in turn;
// flags go to the benchmarks named (each has its own). Add a benchmark by adding its file name
// (without .ts) to BENCHES.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES = ['orders', 'orders-list', 'workflows', 'designer', 'exchange-suggestions', 'analytics', 'dashboard-live', 'service'];

const dir = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const picked = args.filter((a) => BENCHES.includes(a));
const flags = args.filter((a) => !BENCHES.includes(a));
if (flags.length && !picked.length) {
  console.error(`Name the benchmark the flags are for, e.g. npm run bench -- ${BENCHES[0]} ${flags.join(' ')} (benchmarks: ${BENCHES.join(', ')}).`);
  process.exit(2);
}
// Ctrl-C reaches the benchmark too; it tears its stack down itself, so wait for it.
process.on('SIGINT', () => {});

let failed = 0;
for (const name of picked.length ? picked : BENCHES) {
  const code = await new Promise<number | null>((resolve) => {
    spawn(process.execPath, [path.join(dir, `${name}.ts`), ...flags], { stdio: 'inherit' }).once('exit', resolve);
  });
  if (code !== 0) {
    failed++;
    console.error(`bench ${name} failed (exit ${code})`);
  }
}
process.exit(failed ? 1 : 0);
