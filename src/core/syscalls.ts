/**
 * Names of the syscalls the syscalls monitor traces. A SYSCALL record carries the
 * number of the kernel's own architecture, which is this process's (clawtop reads its
 * own host's ring buffer).
 */

type TracedSyscall = 'execve' | 'openat';

const SYSCALL_NUMBERS: Partial<Record<NodeJS.Architecture, Record<TracedSyscall, number>>> = {
  x64: { execve: 59, openat: 257 },
  arm64: { execve: 221, openat: 56 },
};

/** The syscall's name where we trace it on that architecture, else `syscall <nr>`. */
export function syscallName(nr: number, arch: NodeJS.Architecture = process.arch): string {
  const numbers = SYSCALL_NUMBERS[arch];
  if (numbers) {
    for (const [name, number] of Object.entries(numbers)) if (number === nr) return name;
  }
  return `syscall ${nr}`;
}
