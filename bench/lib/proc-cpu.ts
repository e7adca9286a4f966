// CPU accounting from /proc (Linux): one process, PostgreSQL as a whole (postmaster, its live
// children, and the children it reaped), and the whole machine, so that a benchmark can say where the
// CPU went and other work on a shared machine shows up instead of skewing its figures silently.
import fs from 'node:fs';

const CLK_TCK = 100;

/** CPU ms in user space and in the kernel. */
export interface Cpu {
  user: number;
  sys: number;
}
interface Times extends Cpu {
  ppid: number;
  childUser: number;
  childSys: number;
}

/** CPU ms of a process (all its threads), and of the children it has reaped. */
function procTimes(pid: number): Times | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14), in clock ticks.
    const ms = (i: number) => (Number(f[i]) * 1000) / CLK_TCK;
    return { ppid: Number(f[1]), user: ms(11), sys: ms(12), childUser: ms(13), childSys: ms(14) };
  } catch {
    return null;
  }
}

export const cpuMs = (c: Cpu): number => c.user + c.sys;
export const cpuMinus = (a: Cpu, b: Cpu): Cpu => ({ user: a.user - b.user, sys: a.sys - b.sys });

/** CPU one process has used so far (nothing once it is gone). */
export function processCpu(pid: number): Cpu {
  const t = procTimes(pid);
  return { user: t?.user ?? 0, sys: t?.sys ?? 0 };
}
export const processCpuMs = (pid: number): number => cpuMs(processCpu(pid));

/** CPU PostgreSQL has used so far: the postmaster, its backends and workers, live or reaped. */
export function postgresCpu(postmasterPid: number): Cpu {
  const pm = procTimes(postmasterPid);
  const total = pm ? { user: pm.user + pm.childUser, sys: pm.sys + pm.childSys } : { user: 0, sys: 0 };
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const t = procTimes(Number(d));
    if (t && t.ppid === postmasterPid) {
      total.user += t.user;
      total.sys += t.sys;
    }
  }
  return total;
}
export const postgresCpuMs = (postmasterPid: number): number => cpuMs(postgresCpu(postmasterPid));

/** CPU ms the whole machine has been busy (all cores): user, nice, system, irq, softirq, steal. */
export function machineBusyMs(): number {
  const [, ...v] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  return ((v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0)) * 1000) / CLK_TCK;
}

/** CPU this process has used so far. */
export function ownCpu(): Cpu {
  const u = process.cpuUsage();
  return { user: u.user / 1000, sys: u.system / 1000 };
}
export const ownCpuMs = (): number => cpuMs(ownCpu());
