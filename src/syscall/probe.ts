import { execFileSync } from "node:child_process";
import { ensureSupervisor } from "./build.js";
import { SyscallFaultError } from "./errors.js";

export interface SyscallSupport {
  ok: boolean;
  /** Why not, in words a user can act on; empty when ok. */
  reason: string;
}

let cached: SyscallSupport | undefined;

/**
 * Whether this machine can run targets under the supervisor: Linux on x86_64 or arm64, a C
 * compiler (first use only), and a kernel with seccomp user notification (5.9+; 6.0+ also makes
 * waits killable). Runs a real filtered child once per process.
 */
export function syscallFaultsSupported(): SyscallSupport {
  if (cached) return cached;
  return (cached = probe());
}

function probe(): SyscallSupport {
  if (process.platform !== "linux")
    return { ok: false, reason: `syscall faults need Linux (seccomp); this is ${process.platform}` };
  if (process.arch !== "x64" && process.arch !== "arm64")
    return { ok: false, reason: `syscall faults support x64 and arm64; this is ${process.arch}` };
  let bin: string;
  try {
    bin = ensureSupervisor();
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  try {
    execFileSync(bin, ["--probe"], { stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
    return { ok: true, reason: "" };
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return {
      ok: false,
      reason: `this kernel cannot run seccomp user notification (${stderr || String(err)}); syscall faults need Linux 5.9 or newer with seccomp enabled`,
    };
  }
}

/** Throws a clear UNSUPPORTED error when syscall faults cannot run here (for spec load time). */
export function requireSyscallFaults(where: string): void {
  const support = syscallFaultsSupported();
  if (!support.ok)
    throw new SyscallFaultError("UNSUPPORTED", `${where} uses syscall faults, but ${support.reason}`);
}
