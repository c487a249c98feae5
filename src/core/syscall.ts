// Syscall faults (write=deny("EIO")) are applied by a pluggable controller (src/syscall/ implements it
// with a seccomp supervisor). Core only routes rules to it; without one, specs using syscall faults
// fail at load with a clear message.
import type { SyscallRule } from "./model.js";

/** How often a rule's match criteria were met, and how often it then acted (fired ≤ matched). */
export interface RuleCounts {
  matched: number;
  fired: number;
}

/** How to launch a process so its syscalls can be intercepted. */
export interface LaunchWrapper {
  /** Prepended to the service's argv, e.g. [supervisorBinary, "--", ...]. */
  argvPrefix: string[];
  env: Record<string, string>;
  /** Called once the wrapped process is spawned; returns the handle that applies rules to it. */
  attach(pid: number): Promise<SyscallSession>;
  /** Releases what wrap() prepared when the launch fails before attach (else the run cannot exit). */
  dispose?(): void;
}

export interface SyscallSession {
  /** Replaces the dynamic rules of this process. */
  setRules(rules: SyscallRule[]): Promise<void>;
  /** Clears dynamic rules; returns, per rule key, how many syscalls matched it and how many it faulted. */
  clearRules(): Promise<Record<string, RuleCounts>>;
  close(): Promise<void>;
}

export interface SyscallController {
  /** Why it cannot work here (kernel too old, not Linux), or undefined when usable. */
  unavailableReason(): string | undefined;
  /**
   * Prepares the launch of a service whose syscalls some fault targets.
   * `syscalls` is every syscall any rule in the suite may set on it (filters are fixed at launch).
   */
  wrap(request: {
    service: string;
    syscalls: string[];
    seed: bigint;
    emit: (type: string, data: Record<string, unknown>) => void;
  }): Promise<LaunchWrapper>;
}

let controller: SyscallController | undefined;

export function registerSyscallController(c: SyscallController | undefined): void {
  controller = c;
}

export function getSyscallController(): SyscallController | undefined {
  return controller;
}

// Every syscall a rule may name; the supervisor (native/tables.h) knows the same names. Syscalls
// that do not exist on the platform (open, creat, unlink, ... on arm64) are dropped at launch.
export const KNOWN_SYSCALLS = [
  "write",
  "writev",
  "pwrite64",
  "pwritev",
  "pwritev2",
  "read",
  "readv",
  "pread64",
  "preadv",
  "preadv2",
  "open",
  "creat",
  "openat",
  "openat2",
  "fsync",
  "fdatasync",
  "sync_file_range",
  "syncfs",
  "sendto",
  "sendmsg",
  "sendmmsg",
  "recvfrom",
  "recvmsg",
  "recvmmsg",
  "connect",
  "accept",
  "accept4",
  "bind",
  "listen",
  "socket",
  "close",
  "ftruncate",
  "fallocate",
  "truncate",
  "unlink",
  "rename",
  "mkdir",
  "rmdir",
  "unlinkat",
  "renameat",
  "renameat2",
  "mkdirat",
  "getrandom",
] as const;

// A family name stands for every syscall that does the same thing by another entry point, so
// `write=deny("EIO")` also catches a JVM's pwrite64 and PostgreSQL's pwritev.
export const SYSCALL_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  write: ["write", "writev", "pwrite64", "pwritev", "pwritev2"],
  read: ["read", "readv", "pread64", "preadv", "preadv2"],
  open: ["open", "creat", "openat", "openat2"],
  openat: ["open", "creat", "openat", "openat2"],
  fsync: ["fsync", "fdatasync", "sync_file_range", "syncfs"],
  sendto: ["sendto", "sendmsg", "sendmmsg"],
  recvfrom: ["recvfrom", "recvmsg", "recvmmsg"],
  connect: ["connect"],
  accept: ["accept", "accept4"],
  close: ["close"],
  unlink: ["unlink", "unlinkat"],
  rename: ["rename", "renameat", "renameat2"],
  mkdir: ["mkdir", "mkdirat"],
};

/** The names `fault(service, <name>=...)` accepts: families plus every raw syscall. */
export const FAULTABLE_NAMES: readonly string[] = [
  ...new Set([...Object.keys(SYSCALL_FAMILIES), ...KNOWN_SYSCALLS]),
].sort();

// The errnos deny() accepts, by name. The same list is compiled into the seccomp supervisor
// (src/syscall/native/tables.h), which maps each name to the number of the platform it runs on.
export const ERRNO_NAMES = [
  "ENOENT",
  "EACCES",
  "EPERM",
  "EIO",
  "ENOSPC",
  "EROFS",
  "EEXIST",
  "ENOTEMPTY",
  "ENFILE",
  "EMFILE",
  "EFBIG",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EADDRINUSE",
  "EADDRNOTAVAIL",
  "EINTR",
  "EAGAIN",
  "ENOMEM",
  "EBUSY",
  "EINVAL",
  "ENOSYS",
  "EDEADLK",
  "ELOOP",
  "EDQUOT",
  "ENOLCK",
  "EPIPE",
  "EBADF",
] as const;

export type ErrnoName = (typeof ERRNO_NAMES)[number];

export const ERRNOS: readonly string[] = ERRNO_NAMES;

export function isErrnoName(name: string): name is ErrnoName {
  return ERRNOS.includes(name);
}
