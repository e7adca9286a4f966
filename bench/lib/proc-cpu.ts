// CPU accounting from /proc (Linux): one process, PostgreSQL as a whole (postmaster, its live
// children, and the children it reaped), and the whole machine, so that a benchmark can say where the
// CPU went and other work on a shared machine shows up instead of skewing its figures silently.
import fs from 'node:fs';

const CLK_TCK = 100;

interface Times { ppid: number; ms: number; childMs: number }

/** CPU ms of a process (user + kernel, all its threads), and of the children it has reaped. */
function procTimes(pid: number): Times | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14), in clock ticks.
    const ms = (i: number) => (Number(f[i]) * 1000) / CLK_TCK;
    return { ppid: Number(f[1]), ms: ms(11) + ms(12), childMs: ms(13) + ms(14) };
  } catch {
    return null;
  }
}

/** CPU ms one process has used so far (0 once it is gone). */
export const processCpuMs = (pid: number): number => procTimes(pid)?.ms ?? 0;

/** CPU ms PostgreSQL has used so far: the postmaster, its backends and workers, live or reaped. */
export function postgresCpuMs(postmasterPid: number): number {
  const pm = procTimes(postmasterPid);
  let total = pm ? pm.ms + pm.childMs : 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const t = procTimes(Number(d));
    if (t && t.ppid === postmasterPid) total += t.ms;
  }
  return total;
}

/** CPU ms the whole machine has been busy (all cores): user, nice, system, irq, softirq, steal. */
export function machineBusyMs(): number {
  const [, ...v] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return ((v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0)) * 1000) / CLK_TCK;
}

/** CPU ms this process has used so far. */
export const ownCpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
