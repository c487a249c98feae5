import { SyscallFaultError } from "./errors.js";

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

export function isFaultableName(name: string): boolean {
  return name in SYSCALL_FAMILIES || (KNOWN_SYSCALLS as readonly string[]).includes(name);
}

/** Expands family names to syscall names (deduplicated, order kept). Throws on unknown names. */
export function expandSyscalls(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const name of names) {
    const family = SYSCALL_FAMILIES[name];
    if (family) family.forEach((s) => out.add(s));
    else if ((KNOWN_SYSCALLS as readonly string[]).includes(name)) out.add(name);
    else
      throw new SyscallFaultError(
        "UNKNOWN_SYSCALL",
        `unknown syscall "${name}". Valid names: ${FAULTABLE_NAMES.join(", ")}`,
      );
  }
  return [...out];
}

/** Every syscall of every family: what a target is launched to intercept when no set is given. */
export function allFamilySyscalls(): string[] {
  return expandSyscalls(Object.keys(SYSCALL_FAMILIES));
}

/** Widens each syscall to every family containing it (pwrite64 -> the whole write family), so a
 * filter or rule built from a narrower expansion still catches every entry point. */
export function widenToFamilies(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const name of expandSyscalls(names)) {
    out.add(name);
    for (const members of Object.values(SYSCALL_FAMILIES))
      if (members.includes(name)) members.forEach((m) => out.add(m));
  }
  return [...out];
}
