import { execFileSync } from "node:child_process";
import { SyscallFaultError } from "./errors.js";
import { allFamilySyscalls, expandSyscalls } from "./families.js";

let platformSyscalls: Set<string> | undefined;

/** Names the supervisor knows on this platform (open, creat, ... do not exist on arm64). */
export function supportedSyscalls(bin: string): Set<string> {
  if (!platformSyscalls) {
    const out = execFileSync(bin, ["--list"], { encoding: "utf8" });
    platformSyscalls = new Set(
      out
        .split("\n")
        .filter((l) => l.startsWith("syscall "))
        .map((l) => l.split(" ")[1]!),
    );
  }
  return platformSyscalls;
}

/** The syscalls a filter intercepts for the given families/names (default: every family). */
export function filterSet(bin: string, names: readonly string[] | undefined): string[] {
  const available = supportedSyscalls(bin);
  return (names ? expandSyscalls(names) : allFamilySyscalls()).filter((s) => available.has(s));
}

/** uid/gid of a user name (or the ids as given). */
export function resolveUser(
  user: string | { uid: number; gid: number } | undefined,
): { uid: number; gid: number } | undefined {
  if (user === undefined) return undefined;
  if (typeof user !== "string") return user;
  const id = (flag: string) =>
    Number(execFileSync("id", [flag, user], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new SyscallFaultError("LAUNCH_FAILED", `user "${user}" does not exist on this machine`);
  }
}
