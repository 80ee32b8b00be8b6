// The cgroup v2 hierarchy.
import { readFileSync } from 'node:fs';

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
