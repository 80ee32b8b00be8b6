// What /proc and /etc/passwd say about processes and users: the process table is seeded
// from it at start, so it is not empty before the first exec.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly comm: string;
  readonly argv: readonly string[];
  /** The cgroup v2 path ("0::/system.slice/x.service" in /proc/<pid>/cgroup). */
  readonly cgroupPath: string | undefined;
  /** Seconds since boot when the process started. */
  readonly startSeconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** /proc/<pid>/stat: the comm is in parentheses and may itself hold spaces and parentheses. */
export function parseStat(stat: string): { comm: string; ppid: number; startSeconds: number } | undefined {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // Fields after the comm start at field 3 (state); ppid is field 4, starttime field 22.
  const ppid = Number(fields[1]);
  const startTicks = Number(fields[19]);
  if (!Number.isInteger(ppid) || !Number.isFinite(startTicks)) return undefined;
  return { comm: stat.slice(open + 1, close), ppid, startSeconds: startTicks / CLOCK_TICKS_PER_SECOND };
}

export function parseStatusUid(status: string): number | undefined {
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  return uid === undefined ? undefined : Number(uid);
}

export function parseCgroupV2Path(cgroupFile: string): string | undefined {
  return /^0::(.*)$/m.exec(cgroupFile)?.[1];
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const uid = parseStatusUid(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (stat === undefined || uid === undefined) return undefined;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return {
      pid,
      ppid: stat.ppid,
      uid,
      comm: stat.comm,
      argv: cmdline.split('\0').filter((arg, index, all) => arg !== '' || index < all.length - 1),
      cgroupPath: parseCgroupV2Path(readFileSync(`/proc/${pid}/cgroup`, 'utf8')),
      startSeconds: stat.startSeconds,
    };
  } catch {
    // Gone between listing and reading: it has nothing to say.
    return undefined;
  }
}

/** Every process (thread group leader) now running. */
export function listProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info !== undefined) processes.push(info);
  }
  return processes;
}

/** uid -> user name from a passwd text; a uid without a name shows as its number. */
export function parseUserNames(passwd: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid) && !names.has(Number(uid))) names.set(Number(uid), name);
  }
  return names;
}

export function createUserNameLookup(passwdPath = '/etc/passwd'): (uid: number) => string {
  let names: Map<number, string>;
  try {
    names = parseUserNames(readFileSync(passwdPath, 'utf8'));
  } catch {
    names = new Map();
  }
  return (uid) => names.get(uid) ?? String(uid);
}
