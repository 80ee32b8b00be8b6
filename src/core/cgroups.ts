// The cgroup v2 hierarchy: where it is mounted, and which path a cgroup id names.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The cgroup2 mount point from a mountinfo text: /sys/fs/cgroup, or .../unified on hybrid hosts. */
export function findCgroup2Root(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string | undefined {
  for (const line of mountinfo.split('\n')) {
    // "36 25 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw": the type follows " - ".
    const [mount, filesystem] = line.split(' - ');
    if (filesystem?.split(' ')[0] === 'cgroup2') return unescapeMountPath(mount!.split(' ')[4]!);
  }
  return undefined;
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** At most one walk of the hierarchy per this many milliseconds, however many ids miss. */
export const CGROUP_RESCAN_INTERVAL_MS = 1000;

/**
 * Turns cgroup v2 ids into paths below the mount ('/' for the root, '/system.slice/x.service').
 * A v2 cgroup's id is the inode number of its directory, so one walk of the mount maps
 * them all; an id not in the cache triggers a new walk, at most once per
 * CGROUP_RESCAN_INTERVAL_MS, so a stream of unknown ids (cgroups already removed)
 * cannot turn into a stream of walks.
 */
export class CgroupPathResolver {
  private paths = new Map<number, string>();
  private lastScanMs = -Infinity;

  constructor(
    private readonly mountPoint: string,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** The cgroup's path, or undefined when no directory of the mount has this id. */
  resolve(cgroupId: number): string | undefined {
    const known = this.paths.get(cgroupId);
    if (known !== undefined) return known;
    const now = this.nowMs();
    if (now - this.lastScanMs < CGROUP_RESCAN_INTERVAL_MS) return undefined;
    this.lastScanMs = now;
    this.paths = scanHierarchy(this.mountPoint);
    return this.paths.get(cgroupId);
  }
}

/** Every directory below the mount by inode; directories removed during the walk are skipped. */
function scanHierarchy(mountPoint: string): Map<number, string> {
  const paths = new Map<number, string>();
  const visit = (relativePath: string) => {
    const directory = join(mountPoint, relativePath);
    try {
      paths.set(statSync(directory).ino, relativePath);
      for (const entry of readdirSync(directory, { withFileTypes: true })) {
        if (entry.isDirectory()) visit(relativePath === '/' ? `/${entry.name}` : `${relativePath}/${entry.name}`);
      }
    } catch {
      // Removed between listing and visiting, or unreadable: it has no path to give.
    }
  };
  visit('/');
  return paths;
}
