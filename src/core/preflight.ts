// What clawtop needs before it touches the kernel, each missing piece said in one line
// with what to do about it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';

const CAPABILITY_BITS = { CAP_NET_ADMIN: 12, CAP_SYS_ADMIN: 21, CAP_PERFMON: 38, CAP_BPF: 39 } as const;
type CapabilityName = keyof typeof CAPABILITY_BITS;

/** Effective capabilities from a /proc/<pid>/status text. */
export function effectiveCapabilities(procStatus: string): Set<CapabilityName> {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(procStatus)?.[1] ?? '0';
  const mask = BigInt(`0x${hex}`);
  const held = new Set<CapabilityName>();
  for (const [name, bit] of Object.entries(CAPABILITY_BITS) as [CapabilityName, number][]) {
    if ((mask >> BigInt(bit)) & 1n) held.add(name);
  }
  return held;
}

/** Loading and attaching needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN), cgroup hooks CAP_NET_ADMIN. */
export function privilegeProblem(procStatus = readFileSync('/proc/self/status', 'utf8')): string | undefined {
  const held = effectiveCapabilities(procStatus);
  const needed: CapabilityName[] = held.has('CAP_SYS_ADMIN')
    ? ['CAP_NET_ADMIN']
    : ['CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN'];
  const missing = needed.filter((name) => !held.has(name));
  if (missing.length === 0) return undefined;
  return (
    `needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (missing ${missing.join(', ')}): ` +
    'run it with sudo'
  );
}

export const KERNEL_BTF_PATH = '/sys/kernel/btf/vmlinux';

export function btfProblem(btfPath = KERNEL_BTF_PATH): string | undefined {
  if (existsSync(btfPath)) return undefined;
  return `this kernel has no BTF (${btfPath} is missing): clawtop needs a kernel built with CONFIG_DEBUG_INFO_BTF=y`;
}

const TRACEFS_PATHS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** Tracepoint programs are attached by id from tracefs; mount it when it is missing. */
export function ensureTracefs(): string | undefined {
  // stat, not access(2): access ignores capabilities, so a capabilities-only clawtop (no
  // root) would see the 0700 tracefs as missing.
  if (TRACEFS_PATHS.some((path) => statSync(`${path}/events`, { throwIfNoEntry: false }) !== undefined)) {
    return undefined;
  }
  try {
    execFileSync('mount', ['-t', 'tracefs', 'tracefs', TRACEFS_PATHS[0]!], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    const reason = error instanceof Error && 'stderr' in error ? String(error.stderr).trim() : String(error);
    return `tracefs is not mounted and mounting it failed (${reason}): run mount -t tracefs tracefs /sys/kernel/tracing`;
  }
}
