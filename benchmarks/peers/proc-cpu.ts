/**
 * CPU time of a store server from /proc (Linux): the process itself, the
 * children it has reaped (PostgreSQL's backends that exited), and its live
 * children (the backends still connected). Microseconds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The numeric fields of /proc/<pid>/stat after the command name (field 3 onwards), or undefined when it is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: split after the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  } catch {
    return undefined;
  }
}

// Indices into statFields: field N of proc(5) is index N - 3.
const PPID = 4 - 3;
const UTIME = 14 - 3;
const STIME = 15 - 3;
const CUTIME = 16 - 3;
const CSTIME = 17 - 3;

export function serverCpuMicros(pid: number): number {
  const own = statFields(pid);
  if (!own) return 0;
  let ticks = Number(own[UTIME]) + Number(own[STIME]) + Number(own[CUTIME]) + Number(own[CSTIME]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[PPID]) === pid) ticks += Number(fields[UTIME]) + Number(fields[STIME]);
  }
  return (ticks * 1e6) / TICKS_PER_SECOND;
}

/** This Node process's CPU (user + system), microseconds. */
export function ownCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
