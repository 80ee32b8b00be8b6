// Events per second per monitor, from two readings of the per-kind totals: the stats line
// of --json and the screen's header both show them.
import type { EventKindName } from './contract.ts';
import type { KindTotals } from './engine.ts';
import type { MonitorName } from './native.ts';

/** The monitor whose programs emit each kernel record kind (cgroup traffic is counted in maps). */
export const MONITOR_OF_KIND: Readonly<Partial<Record<EventKindName, MonitorName>>> = {
  exec: 'exec',
  exit: 'exec',
  file: 'files',
  net: 'net',
  syscall: 'syscalls',
};

/** Kinds no kernel monitor emits (cgroup samples, anomalies) are left out. */
export function receivedPerSecondByMonitor(
  before: readonly KindTotals[],
  after: readonly KindTotals[],
  seconds: number,
): Map<MonitorName, number> {
  const perSecond = new Map<MonitorName, number>();
  after.forEach((totals, index) => {
    const monitor = MONITOR_OF_KIND[totals.kind];
    if (monitor === undefined) return;
    const received = totals.received - (before[index]?.received ?? 0);
    perSecond.set(monitor, (perSecond.get(monitor) ?? 0) + (seconds > 0 ? received / seconds : 0));
  });
  return perSecond;
}
