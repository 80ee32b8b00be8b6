// The hook report as users see it: which program serves each monitor, and why a
// fallback was taken. The benchmark probe is internal and never shown.
import type { HookReport, HookStatus, MonitorName } from './native.ts';

export interface UserFacingHookReport extends HookReport {
  readonly hooks: readonly (HookStatus & { readonly monitor: MonitorName })[];
}

export function userFacingHooks(report: HookReport): UserFacingHookReport {
  return {
    hooks: report.hooks.filter((hook): hook is HookStatus & { monitor: MonitorName } => hook.monitor !== 'bench'),
    features: report.features,
  };
}

function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '))
    .map((line) => `${line.trimEnd()}\n`)
    .join('');
}

/** clawtop --probe: the hook serving each monitor, then the optional program types. */
export function formatHookTable(report: HookReport): string {
  const { hooks, features } = userFacingHooks(report);
  const hookRows = hooks.map((hook) => [hook.monitor, hook.hook, hook.mode, hook.reason ?? '']);
  const featureRows = features.map((feature) => [
    feature.feature,
    feature.available ? 'yes' : 'no',
    feature.reason ?? '',
  ]);
  return (
    formatTable([['MONITOR', 'HOOK', 'MODE', 'WHY'], ...hookRows]) +
    '\n' +
    formatTable([['PROGRAM TYPE', 'LOADS', 'WHY NOT'], ...featureRows])
  );
}
