/**
 * A process seen from /proc, for the benchmarks that measure clawtop from outside: its CPU
 * time, its memory, its threads, its children, and whether it has mapped its ring buffer.
 * Files read more than once are read through one descriptor each, re-read from offset 0,
 * so sampling opens nothing that clawtop would report as a file event.
 */
import { closeSync, openSync, readFileSync, readdirSync, readSync } from 'node:fs';

/** USER_HZ: /proc/<pid>/stat counts CPU time in these on every Linux architecture clawtop runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

export class ProcFile {
  private readonly fd: number;
  private readonly buffer = Buffer.alloc(64 * 1024);

  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  /** The whole text, or undefined once the process is gone. */
  read(): string | undefined {
    try {
      const length = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
      return this.buffer.toString('utf8', 0, length);
    } catch {
      return undefined;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface MemorySample {
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  readonly anonBytes: number;
  readonly fileBytes: number;
}

/** VmRSS, VmHWM, RssAnon and RssFile + RssShmem of a /proc/<pid>/status text. */
export function parseMemory(status: string): MemorySample | undefined {
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const sample = {
    rssBytes: kib('VmRSS'),
    peakRssBytes: kib('VmHWM'),
    anonBytes: kib('RssAnon'),
    fileBytes: kib('RssFile') + kib('RssShmem'),
  };
  // A zombie's status has no Vm lines.
  return Object.values(sample).every(Number.isFinite) ? sample : undefined;
}

/** The comm and utime + stime (in seconds) of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat text. */
export function parseStat(stat: string): { readonly name: string; readonly cpuSeconds: number } | undefined {
  // The comm, in parentheses, may hold spaces; utime and stime are fields 14 and 15.
  const close = stat.lastIndexOf(')');
  const name = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? { name, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND } : undefined;
}

/** utime + stime of a /proc/<pid>/stat text, in seconds: of every thread, live or exited. */
export function parseCpuSeconds(stat: string): number | undefined {
  return parseStat(stat)?.cpuSeconds;
}

/**
 * Whether the process has mapped a BPF ring buffer of ringSizeBytes: clawtop's reader has
 * started (libbpf maps the data pages twice, so the mapping is at least twice the size).
 */
export function mapsRing(pid: number, ringSizeBytes: number): boolean {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return false;
  }
  return maps.split('\n').some((line) => {
    if (!line.endsWith('anon_inode:bpf-map')) return false;
    const [start, end] = line.split(' ', 1)[0]!.split('-').map((address) => parseInt(address, 16));
    return end! - start! >= 2 * ringSizeBytes;
  });
}

/** The pids of a process's children (of its main thread, which is what starts them here). */
export function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(' ').map(Number);
  } catch {
    return [];
  }
}

/** The threads of one process, each followed through its own stat file. */
export class ThreadsWatch {
  private readonly threads: { readonly tid: number; readonly stat: ProcFile }[];

  /** Threads started after this are not followed: clawtop starts its threads when it starts. */
  constructor(readonly pid: number) {
    this.threads = readdirSync(`/proc/${pid}/task`).map((tid) => ({
      tid: Number(tid),
      stat: new ProcFile(`/proc/${pid}/task/${tid}/stat`),
    }));
  }

  /** CPU seconds per thread name (threads of one name, such as a pool's, added up). */
  cpuSecondsByName(): Map<string, number> {
    const byName = new Map<string, number>();
    for (const { tid, stat } of this.threads) {
      const text = stat.read();
      const parsed = text === undefined ? undefined : parseStat(text);
      if (parsed === undefined) continue;
      const name = tid === this.pid ? 'main' : parsed.name;
      byName.set(name, (byName.get(name) ?? 0) + parsed.cpuSeconds);
    }
    return byName;
  }

  stop(): void {
    for (const { stat } of this.threads) stat.close();
  }
}
