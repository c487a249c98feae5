import { FAULTABLE_NAMES, KNOWN_SYSCALLS, SYSCALL_FAMILIES } from "../core/syscall.js";
import { SyscallFaultError } from "./errors.js";

// The tables live in core (the spec builder validates names with them); the supervisor uses the same.
export { FAULTABLE_NAMES, KNOWN_SYSCALLS, SYSCALL_FAMILIES };

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
