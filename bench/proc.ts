/**
 * A process seen from /proc, for the benchmarks that measure clawtop from outside: its CPU
 * time, its memory, its threads, its children, and whether it has mapped its ring buffer.
 * Files read more than once are read through one descriptor each, re-read from offset 0,
 * so sampling opens nothing that clawtop would report as a file event.
 */
import { closeSync, openSync, readFileSync, readdirSync, readSync } from 'node:fs';

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

/** A process's CPU time, all threads and each, read by CpuClock. */
export interface CpuReading {
  readonly totalSeconds: number;
  /** Per thread name, threads of one name (such as a pool's) added up; the main thread is 'main'. */
  readonly secondsByName: ReadonlyMap<string, number>;
}

interface FollowedThread {
  readonly name: string;
  readonly schedstat: ProcFile;
  seconds: number;
  ended: boolean;
}

/**
 * The CPU time of one process to the nanosecond: its threads' run times from
 * /proc/<pid>/task/<tid>/schedstat, added up. /proc/<pid>/stat counts in 10 ms ticks, 0.5%
 * of a 2 s window, the size of the margins being judged. A thread that ends keeps the time
 * last read from it; threads started later are found when the process's thread count (in
 * /proc/<pid>/status) changes, so one that starts and ends between two reads is missed
 * (node's and clawtop's threads live as long as the process).
 */
export class CpuClock {
  private readonly status: ProcFile;
  private readonly threads = new Map<number, FollowedThread>();

  constructor(readonly pid: number) {
    this.status = new ProcFile(`/proc/${pid}/status`);
    this.followNewThreads();
  }

  /** Undefined once the process is gone. */
  read(): CpuReading | undefined {
    const threadCount = Number(/^Threads:\s*(\d+)$/m.exec(this.status.read() ?? '')?.[1] ?? NaN);
    if (!Number.isSafeInteger(threadCount)) return undefined;
    if (threadCount !== this.liveThreadCount()) this.followNewThreads();
    for (const [tid, thread] of this.threads) {
      if (thread.ended) continue;
      const nanoseconds = Number(thread.schedstat.read()?.split(' ', 1)[0]);
      if (Number.isSafeInteger(nanoseconds)) {
        thread.seconds = nanoseconds / 1e9;
      } else if (tid === this.pid) {
        return undefined;
      } else {
        thread.ended = true;
        thread.schedstat.close();
      }
    }
    let totalSeconds = 0;
    const secondsByName = new Map<string, number>();
    for (const { name, seconds } of this.threads.values()) {
      totalSeconds += seconds;
      secondsByName.set(name, (secondsByName.get(name) ?? 0) + seconds);
    }
    return { totalSeconds, secondsByName };
  }

  stop(): void {
    this.status.close();
    for (const thread of this.threads.values()) if (!thread.ended) thread.schedstat.close();
  }

  private liveThreadCount(): number {
    let live = 0;
    for (const thread of this.threads.values()) if (!thread.ended) live++;
    return live;
  }

  private followNewThreads(): void {
    let tids: number[];
    try {
      tids = readdirSync(`/proc/${this.pid}/task`).map(Number);
    } catch {
      return;
    }
    for (const tid of tids) {
      if (this.threads.has(tid)) continue;
      try {
        const name = tid === this.pid ? 'main' : readFileSync(`/proc/${this.pid}/task/${tid}/comm`, 'utf8').trim();
        const schedstat = new ProcFile(`/proc/${this.pid}/task/${tid}/schedstat`);
        this.threads.set(tid, { name, schedstat, seconds: 0, ended: false });
      } catch {
        // Ended between the listing and here.
      }
    }
  }
}
