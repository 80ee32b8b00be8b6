// The typed face of the native addon (native/bpf_session.cc). Arguments are validated
// here so the C++ stays small; every method may throw "failed to <verb> <object>: <reason>".
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { findCgroup2Root } from './cgroups.ts';

export const MONITOR_NAMES = ['exec', 'files', 'net', 'cgroup', 'syscalls'] as const;
export type MonitorName = (typeof MONITOR_NAMES)[number];
/** syscalls is opt-in: syscall tracepoints tax every syscall on the host. */
export const DEFAULT_MONITORS: readonly MonitorName[] = ['exec', 'files', 'net', 'cgroup'];
/** The benchmark probe is attached like a monitor but is never shown as one. */
export type ProgramSetName = MonitorName | 'bench';

export type HookMode = 'preferred' | 'fallback' | 'unavailable';

export interface HookStatus {
  readonly monitor: ProgramSetName;
  readonly hook: string;
  readonly mode: HookMode;
  readonly attached: boolean;
  /** Why a fallback was taken or why attaching failed. */
  readonly reason: string | null;
}

export interface FeatureStatus {
  readonly feature: 'lsm' | 'fentry';
  readonly available: boolean;
  readonly reason: string | null;
}

export interface HookReport {
  readonly hooks: readonly HookStatus[];
  readonly features: readonly FeatureStatus[];
}

/** Summed over CPUs, indexed by counter slot (the event kind; COUNTER_SLOT_BENCH for the benchmark). */
export interface KernelCounters {
  readonly emitted: readonly number[];
  readonly dropped: readonly number[];
  readonly ringFillBytes: number;
  readonly ringSizeBytes: number;
}

/** Totals since load, summed over CPUs, for one cgroup v2 id. */
export interface CgroupTrafficTotals {
  readonly cgroupId: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxPackets: number;
  readonly txPackets: number;
}

export type RuntimeSetting = 'selfTgid' | 'benchTgid';
/** In-kernel filters: only matching events are emitted at all. */
export type KernelFilter = 'filterTgid' | 'filterUid' | 'filterCgroupId' | 'filterPort';
export interface KernelFilterSetting {
  readonly name: KernelFilter;
  readonly value: number;
}

/** The largest value each kernel filter slot holds (runtime_settings in bpf/clawtop.h). */
export const KERNEL_FILTER_MAX: Record<KernelFilter, number> = {
  filterTgid: 0xffffffff,
  filterUid: 0xffffffff,
  filterCgroupId: Number.MAX_SAFE_INTEGER,
  filterPort: 0xffff,
};

interface NativeBpfSession {
  open(options: {
    ringSizeBytes: number;
    selfTgid: number;
    cgroupRoot: string;
    filters: readonly KernelFilterSetting[];
    monitors: readonly ProgramSetName[];
    log?: (line: string) => void;
  }): HookReport;
  setMonitor(name: ProgramSetName, on: boolean): HookReport;
  setSetting(name: RuntimeSetting | KernelFilter, value: number | null): void;
  start(onBatch: (batch: Uint8Array) => void): void;
  handOverNow(): void;
  readCounters(): KernelCounters;
  readCgroupTraffic(): CgroupTrafficTotals[];
  close(): void;
}

export const DEFAULT_RING_SIZE_BYTES = 8 * 1024 * 1024;
export const MIN_RING_SIZE_BYTES = 4096;
export const MAX_RING_SIZE_BYTES = 1024 * 1024 * 1024;

const ADDON_PATH = fileURLToPath(new URL('../../build/Release/clawtop.node', import.meta.url));

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** "8M", "64KiB", "4096" in bytes; undefined when the text is not a size. */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+)([KMG]?)i?B?$/i.exec(text.trim());
  return match ? Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]! : undefined;
}

export function ringSizeProblem(bytes: number): string | undefined {
  const powerOfTwo = Number.isInteger(bytes) && bytes > 0 && (bytes & (bytes - 1)) === 0;
  if (!powerOfTwo || bytes < MIN_RING_SIZE_BYTES || bytes > MAX_RING_SIZE_BYTES) {
    return `ring size must be a power of two from 4K to 1G, got ${bytes}`;
  }
  return undefined;
}

function loadAddon(): { BpfSession: new () => NativeBpfSession } {
  if (!existsSync(ADDON_PATH)) {
    throw new Error(`the native addon is not built (${ADDON_PATH}): run scripts/setup.sh`);
  }
  return createRequire(import.meta.url)(ADDON_PATH);
}

export interface KernelSessionOptions {
  readonly ringSizeBytes?: number;
  readonly monitors: readonly ProgramSetName[];
  /** The process whose own activity is never reported; clawtop itself by default, 0 for none. */
  readonly selfTgid?: number;
  /** Where cgroup programs attach; the mounted cgroup v2 root by default. */
  readonly cgroupRoot?: string;
  /** In the kernel before any monitor attaches, so no event they reject is ever emitted. */
  readonly kernelFilters?: readonly KernelFilterSetting[];
  readonly log?: (line: string) => void;
}

/**
 * The BPF object loaded, its monitors attached, its ring drained. Closed on close()
 * and, failing that, when the process exits; a killed process leaves nothing behind
 * because everything is held by file descriptors (bpf_link, never pins).
 */
export class KernelSession {
  private currentReport: HookReport;
  private readonly native: NativeBpfSession;
  private readonly closeOnExit = () => this.close();
  private closed = false;

  constructor(options: KernelSessionOptions) {
    const ringSizeBytes = options.ringSizeBytes ?? DEFAULT_RING_SIZE_BYTES;
    const problem = ringSizeProblem(ringSizeBytes);
    if (problem) throw new RangeError(problem);
    const { BpfSession } = loadAddon();
    this.native = new BpfSession();
    this.currentReport = this.native.open({
      ringSizeBytes,
      selfTgid: options.selfTgid ?? process.pid,
      cgroupRoot: options.cgroupRoot ?? findCgroup2Root() ?? '',
      filters: options.kernelFilters ?? [],
      monitors: options.monitors,
      log: options.log,
    });
    process.once('exit', this.closeOnExit);
  }

  start(onBatch: (batch: Uint8Array) => void): void {
    this.native.start(onBatch);
  }

  /**
   * Has the ring reader hand over what the ring holds now. On its own it polls the ring
   * every 50 ms while records come, and less often the longer the ring stays empty (at
   * least every 250 ms), so a record may otherwise arrive up to that late.
   */
  handOverNow(): void {
    this.native.handOverNow();
  }

  /** Which hook serves each monitor, and whether it is attached now. */
  get report(): HookReport {
    return this.currentReport;
  }

  setMonitor(name: ProgramSetName, on: boolean): HookReport {
    this.currentReport = this.native.setMonitor(name, on);
    return this.currentReport;
  }

  setSetting(name: RuntimeSetting, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`${name} must be an integer from 0 to 4294967295, got ${value}`);
    }
    this.native.setSetting(name, value);
  }

  /** Sets an in-kernel filter, or with null switches it off. */
  setFilter(name: KernelFilter, value: number | null): void {
    const limit = KERNEL_FILTER_MAX[name];
    if (value !== null && !(Number.isInteger(value) && value >= 0 && value <= limit)) {
      throw new RangeError(`${name} must be an integer from 0 to ${limit}, got ${value}`);
    }
    this.native.setSetting(name, value);
  }

  /** Sets the listed filters and switches every other one off. */
  setFilters(filters: readonly KernelFilterSetting[]): void {
    for (const name of Object.keys(KERNEL_FILTER_MAX) as KernelFilter[]) {
      this.setFilter(name, filters.find((filter) => filter.name === name)?.value ?? null);
    }
  }

  readCounters(): KernelCounters {
    return this.native.readCounters();
  }

  readCgroupTraffic(): CgroupTrafficTotals[] {
    return this.native.readCgroupTraffic();
  }

  /** Idempotent. Batches still queued for JavaScript are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    process.removeListener('exit', this.closeOnExit);
    this.native.close();
  }
}
