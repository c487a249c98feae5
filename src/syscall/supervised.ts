import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import type { Socket } from "node:net";
import { ensureSupervisor } from "./build.js";
import { openChannel, type ExitStatus, type RuleStats, type SyscallFaultEvent } from "./channel.js";
import { SyscallFaultError } from "./errors.js";
import type { SyscallRule } from "./faults.js";
import { filterSet, resolveUser, supportedSyscalls } from "./platform.js";
import { requireSyscallFaults } from "./probe.js";

export type { ExitStatus, RuleStats, SyscallFaultEvent } from "./channel.js";

type StdioChoice = "pipe" | "inherit" | "ignore";

export interface LaunchOptions {
  argv: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Families or syscalls to intercept; fixed for the life of the target. Default: every family. */
  syscalls?: readonly string[];
  /** Run the target as this user (name or ids). Dropped before the death signal is armed, so
   * unlike `setpriv` in argv the target still dies with the supervisor. */
  user?: string | { uid: number; gid: number };
  /** stdin, stdout, stderr of the target (default ignore, pipe, pipe). */
  stdio?: readonly [StdioChoice, StdioChoice, StdioChoice];
  /** Seeds the probability draws (the run's --seed). */
  seed?: bigint | number;
  /** Ask for synchronous wake-ups where the kernel has them (6.6+). Default true; false is for
   * measuring the difference (bench/syscall). */
  syncWakeup?: boolean;
  onEvent?: (event: SyscallFaultEvent) => void;
}

export interface SupervisedProcess {
  /** The target's pid. It shares the supervisor's process group. */
  readonly pid: number;
  readonly supervisorPid: number;
  /** The supervisor process; its stdin/stdout/stderr are the target's. */
  readonly child: ChildProcess;
  /** The syscalls the filter intercepts. */
  readonly filtered: readonly string[];
  /** Whether the kernel accepted WAIT_KILLABLE_RECV (6.0+). */
  readonly waitKillable: boolean;
  /** Whether notifications use synchronous wake-ups (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 6.6+). */
  readonly syncWakeup: boolean;
  /** Resolves when the target has exited (code or signal as the target saw it). */
  readonly exited: Promise<ExitStatus>;
  /** Replaces the live rules; resolves once they apply, with the stats of the rules replaced.
   * Clearing ([] or clearRules) after the target exited resolves with what its events showed. */
  setRules(rules: readonly SyscallRule[]): Promise<RuleStats[]>;
  clearRules(): Promise<RuleStats[]>;
  /** Stops the target (signal, then SIGKILL after graceMs) and everything it started. */
  close(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ExitStatus>;
}

/** Starts argv under the supervisor; resolves once the target has exec'd. */
export async function launchSupervised(opts: LaunchOptions): Promise<SupervisedProcess> {
  if (opts.argv.length === 0) throw new SyscallFaultError("LAUNCH_FAILED", "launchSupervised: empty argv");
  requireSyscallFaults(`launching "${opts.argv[0]}"`);
  const bin = ensureSupervisor();
  const filtered = filterSet(bin, opts.syscalls);
  const user = resolveUser(opts.user);

  const args = ["--ctl-fd", "3", "--syscalls", filtered.join(",")];
  if (user) args.push("--uid", String(user.uid), "--gid", String(user.gid));
  if (opts.syncWakeup === false) args.push("--no-sync-wakeup");
  args.push("--", ...opts.argv);
  const stdio: StdioOptions = [...(opts.stdio ?? ["ignore", "pipe", "pipe"]), "pipe"];
  // detached: the supervisor leads a new process group that close() can signal as a whole.
  const child = spawn(bin, args, { env: opts.env, cwd: opts.cwd, stdio, detached: true });
  const ctl = child.stdio[3] as Socket;
  const supervisorPid = child.pid!;
  const channel = openChannel(ctl, {
    target: opts.argv[0]!,
    filtered,
    available: supportedSyscalls(bin),
    seed: BigInt(opts.seed ?? 0),
    onEvent: opts.onEvent,
  });

  let supervisorGone = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on("exit", (code, signal) => {
      supervisorGone = true;
      // The supervisor mirrors the target's status; its own `exit` line is more precise.
      resolve(channel.exitStatus() ?? { code, signal });
      channel.markGone(
        channel.exitStatus()
          ? `target "${opts.argv[0]}" has exited`
          : `the faultbox supervisor of "${opts.argv[0]}" exited (code ${code}, signal ${signal}); see its stderr`,
      );
    });
  });
  child.on("error", (err) => channel.markGone(`cannot run the faultbox supervisor: ${err.message}`));
  const { pid, waitKillable, syncWakeup } = await channel.ready;

  function killGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-supervisorPid, signal);
    } catch {
      // ESRCH: nothing left in the group
    }
  }

  async function close(closeOpts: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<ExitStatus> {
    if (!supervisorGone) {
      killGroup(closeOpts.signal ?? "SIGTERM");
      // After the grace the supervisor kills the target and all it started (SIGUSR2 from us); the
      // group's SIGKILL is the last resort.
      let last: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        try {
          process.kill(supervisorPid, "SIGUSR2");
        } catch {
          // gone meanwhile
        }
        last = setTimeout(() => killGroup("SIGKILL"), 2000);
      }, closeOpts.graceMs ?? 5000);
      await exited;
      clearTimeout(timer);
      clearTimeout(last);
    }
    // Anything left in the group (the supervisor stops the target's other descendants itself).
    killGroup("SIGKILL");
    ctl.destroy();
    return exited;
  }

  return {
    pid,
    supervisorPid,
    child,
    filtered,
    waitKillable,
    syncWakeup,
    exited,
    setRules: (rules) => channel.setRules(rules),
    clearRules: () => channel.setRules([]),
    close,
  };
}
