import { execFileSync, spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { constants as osConstants } from "node:os";
import type { Socket } from "node:net";
import { ensureSupervisor } from "./build.js";
import { SyscallFaultError } from "./errors.js";
import { allFamilySyscalls, expandSyscalls } from "./families.js";
import type { SyscallFault, SyscallRule } from "./faults.js";
import { decodeField, ruleLine, ruleSeed } from "./protocol.js";
import { requireSyscallFaults } from "./probe.js";

/** One faulting decision the supervisor took (deny or delay that fired). */
export interface SyscallFaultEvent {
  ruleId: number;
  label?: string;
  /** Process (thread group) and thread that made the syscall. */
  pid: number;
  tid: number;
  syscall: string;
  action: "deny" | "delay";
  errno?: string;
  delayMs?: number;
  /** The file the syscall was about, when the rule needed it resolved. */
  path?: string;
}

/** How a rule fared while it was live: reported when the rule set is replaced or cleared. */
export interface RuleStats {
  ruleId: number;
  label?: string;
  syscalls: readonly string[];
  path?: string;
  fault: SyscallFault;
  /** Syscalls that matched the rule's syscalls and path (fired or not). */
  matches: number;
  fires: number;
}

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
  stdio?: readonly [
    "pipe" | "inherit" | "ignore",
    "pipe" | "inherit" | "ignore",
    "pipe" | "inherit" | "ignore",
  ];
  /** Seeds the probability draws (the run's --seed). */
  seed?: bigint | number;
  onEvent?: (event: SyscallFaultEvent) => void;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedProcess {
  /** The target's pid (its children are in the same process group as the supervisor). */
  readonly pid: number;
  readonly supervisorPid: number;
  /** The supervisor process; its stdin/stdout/stderr are the target's. */
  readonly child: ChildProcess;
  /** The syscalls the filter intercepts. */
  readonly filtered: readonly string[];
  /** Whether the kernel accepted WAIT_KILLABLE_RECV (6.0+). */
  readonly waitKillable: boolean;
  /** Resolves when the target has exited (code or signal as the target saw it). */
  readonly exited: Promise<ExitStatus>;
  /** Replaces the live rules; resolves once they apply, with the stats of the rules replaced.
   * Clearing ([] or clearRules) after the target exited resolves with what its events showed. */
  setRules(rules: readonly SyscallRule[]): Promise<RuleStats[]>;
  clearRules(): Promise<RuleStats[]>;
  /** Stops the target (signal, then SIGKILL after graceMs) and everything in its process group. */
  close(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ExitStatus>;
}

let platformSyscalls: Set<string> | undefined;

/** Names the supervisor knows on this platform (open, creat, ... do not exist on arm64). */
function supportedSyscalls(bin: string): Set<string> {
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

function resolveUser(user: LaunchOptions["user"]): { uid: number; gid: number } | undefined {
  if (user === undefined) return undefined;
  if (typeof user !== "string") return user;
  try {
    const uid = Number(
      execFileSync("id", ["-u", user], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim(),
    );
    const gid = Number(
      execFileSync("id", ["-g", user], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim(),
    );
    return { uid, gid };
  } catch {
    throw new SyscallFaultError("LAUNCH_FAILED", `user "${user}" does not exist on this machine`);
  }
}

interface Pending {
  resolve: (stats: RuleStats[]) => void;
  reject: (err: Error) => void;
  stats: RuleStats[];
}

/** Starts argv under the supervisor; resolves once the target has exec'd. */
export async function launchSupervised(opts: LaunchOptions): Promise<SupervisedProcess> {
  if (opts.argv.length === 0) throw new SyscallFaultError("LAUNCH_FAILED", "launchSupervised: empty argv");
  requireSyscallFaults(`launching "${opts.argv[0]}"`);
  const bin = ensureSupervisor();
  const available = supportedSyscalls(bin);
  const filtered = (opts.syscalls ? expandSyscalls(opts.syscalls) : allFamilySyscalls()).filter((s) =>
    available.has(s),
  );
  const user = resolveUser(opts.user);
  const seed = BigInt(opts.seed ?? 0);

  const args = ["--ctl-fd", "3", "--syscalls", filtered.join(",")];
  if (user) args.push("--uid", String(user.uid), "--gid", String(user.gid));
  args.push("--", ...opts.argv);
  const stdio: StdioOptions = [...(opts.stdio ?? ["ignore", "pipe", "pipe"]), "pipe"];
  const child = spawn(bin, args, { env: opts.env, cwd: opts.cwd, stdio, detached: true });
  const ctl = child.stdio[3] as Socket;
  const supervisorPid = child.pid!;

  const liveRules = new Map<number, RuleStats>();
  const pending = new Map<number, Pending>();
  let nextRuleId = 1;
  let nextGen = 1;
  let exitLine: ExitStatus | undefined;
  let supervisorGone = false;
  let onReady: ((pid: number, killable: boolean) => void) | undefined;
  let onStartFailure: ((err: Error) => void) | undefined;

  const exited = new Promise<ExitStatus>((resolve) => {
    child.on("exit", (code, signal) => {
      supervisorGone = true;
      // The supervisor mirrors the target's status; its own `exit` line is more precise.
      resolve(exitLine ?? { code, signal });
      const err = new SyscallFaultError("SUPERVISOR", `target "${opts.argv[0]}" has exited`);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      onStartFailure?.(
        new SyscallFaultError(
          "LAUNCH_FAILED",
          `the faultbox supervisor exited (code ${code}, signal ${signal}) before "${opts.argv[0]}" started; see its stderr`,
        ),
      );
    });
  });

  let buffered = "";
  ctl.setEncoding("utf8");
  ctl.on("data", (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      handleLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  ctl.on("error", () => {
    // EPIPE/ECONNRESET once the supervisor is gone; its exit is reported through `exited`.
  });

  function handleLine(line: string): void {
    const f = line.split(" ");
    switch (f[0]) {
      case "ready":
        onReady?.(Number(f[1]), f[2] === "1");
        return;
      case "execfail":
        onStartFailure?.(
          new SyscallFaultError(
            "LAUNCH_FAILED",
            `cannot start "${opts.argv[0]}": ${decodeField(f[2] ?? "")}`,
          ),
        );
        return;
      case "fire": {
        const rule = liveRules.get(Number(f[1]));
        const action = f[5] as "deny" | "delay";
        opts.onEvent?.({
          ruleId: Number(f[1]),
          label: rule?.label,
          pid: Number(f[2]),
          tid: Number(f[3]),
          syscall: f[4]!,
          action,
          errno: action === "deny" ? f[6] : undefined,
          delayMs: action === "delay" ? Number(f[6]) / 1e6 : undefined,
          path: f[7] === "-" || f[7] === undefined ? undefined : decodeField(f[7]),
        });
        if (rule) rule.fires++;
        return;
      }
      case "stat": {
        const rule = liveRules.get(Number(f[1]));
        const first = pending.values().next().value;
        if (rule && first) first.stats.push({ ...rule, matches: Number(f[2]), fires: Number(f[3]) });
        liveRules.delete(Number(f[1]));
        return;
      }
      case "applied":
      case "rejected": {
        const gen = Number(f[1]);
        const p = pending.get(gen);
        pending.delete(gen);
        if (!p) return;
        if (f[0] === "applied") p.resolve(p.stats);
        else p.reject(new SyscallFaultError("SUPERVISOR", `rules refused: ${decodeField(f[2] ?? "")}`));
        return;
      }
      case "exit":
        exitLine = {
          code: f[1] === "-" ? null : Number(f[1]),
          signal: f[2] === "-" ? null : signalName(Number(f[2])),
        };
        return;
      case "error":
        // Only a bug in this file can cause it: the controller validates everything it sends.
        process.emitWarning(`faultbox supervisor: ${decodeField(f.slice(1).join(" "))}`);
        return;
    }
  }

  const { pid, waitKillable } = await new Promise<{ pid: number; waitKillable: boolean }>(
    (resolve, reject) => {
      onReady = (pid, killable) => resolve({ pid, waitKillable: killable });
      onStartFailure = reject;
      child.on("error", (err) =>
        reject(new SyscallFaultError("LAUNCH_FAILED", `cannot run the faultbox supervisor: ${err.message}`)),
      );
    },
  ).finally(() => {
    onReady = undefined;
    onStartFailure = undefined;
  });

  const filteredSet = new Set(filtered);

  async function setRules(rules: readonly SyscallRule[]): Promise<RuleStats[]> {
    if (supervisorGone) {
      if (rules.length > 0) throw new SyscallFaultError("SUPERVISOR", `target "${opts.argv[0]}" has exited`);
      // Clearing after the target died (often because of the fault): report what the events
      // showed; only fires are known, so matches is a lower bound.
      const stats = [...liveRules.values()].map((r) => ({ ...r, matches: r.fires }));
      liveRules.clear();
      return stats;
    }
    const lines: string[] = [];
    const added: RuleStats[] = [];
    rules.forEach((rule, index) => {
      const syscalls = expandSyscalls(rule.syscalls).filter((s) => available.has(s));
      const missing = syscalls.filter((s) => !filteredSet.has(s));
      if (missing.length > 0)
        throw new SyscallFaultError(
          "FAULT_NOT_FILTERABLE",
          `cannot fault ${missing.join(", ")} on "${opts.argv[0]}": it was launched intercepting only ` +
            `[${filtered.join(", ")}]. Name these syscalls when the service is launched (write the fault ` +
            `in the spec so it is known at load time, or add allow() for them)`,
        );
      const id = nextRuleId++;
      lines.push(ruleLine(id, syscalls, rule.fault, rule.path, ruleSeed(seed, index)));
      added.push({
        ruleId: id,
        label: rule.fault.label,
        syscalls,
        path: rule.path,
        fault: rule.fault,
        matches: 0,
        fires: 0,
      });
    });
    const gen = nextGen++;
    return await new Promise<RuleStats[]>((resolve, reject) => {
      pending.set(gen, {
        resolve: (stats) => {
          for (const r of added) liveRules.set(r.ruleId, r);
          resolve(stats);
        },
        reject,
        stats: [],
      });
      ctl.write(`rules ${gen} ${lines.length}\n${lines.map((l) => l + "\n").join("")}`);
    });
  }

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
      const timer = setTimeout(() => killGroup("SIGKILL"), closeOpts.graceMs ?? 5000);
      await exited;
      clearTimeout(timer);
    }
    // Descendants the target left behind (a database's worker processes) share the group.
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
    exited,
    setRules,
    clearRules: () => setRules([]),
    close,
  };
}

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name as NodeJS.Signals;
  return null;
}
