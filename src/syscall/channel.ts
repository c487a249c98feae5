// The controller's end of one supervisor's control connection: parses its lines, sends rule
// sets, tracks live rules for labels and stats. Used by launchSupervised (fd 3 of a supervisor we
// spawn) and by the core controller (a unix socket the supervisor connects to).
import { constants as osConstants } from "node:os";
import type { Duplex } from "node:stream";
import { SyscallFaultError } from "./errors.js";
import { expandSyscalls } from "./families.js";
import type { SyscallFault, SyscallRule } from "./faults.js";
import { decodeField, ruleLine, ruleSeed } from "./protocol.js";

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

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChannelOptions {
  /** Names the target in messages. */
  target: string;
  /** Syscalls the supervisor was started to intercept. */
  filtered: readonly string[];
  /** Syscalls this platform has (the supervisor's --list). */
  available: ReadonlySet<string>;
  seed: bigint;
  onEvent?: (event: SyscallFaultEvent) => void;
}

/** What the supervisor reports once the target has exec'd. */
export interface ReadyInfo {
  pid: number;
  /** SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV accepted (Linux 6.0+). */
  waitKillable: boolean;
  /** SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on (Linux 6.6+, unless turned off). */
  syncWakeup: boolean;
}

export interface Channel {
  /** Resolves when the target has exec'd; rejects if it could not be. */
  readonly ready: Promise<ReadyInfo>;
  /** The target's exit as the supervisor reported it, once known. */
  exitStatus(): ExitStatus | undefined;
  setRules(rules: readonly SyscallRule[]): Promise<RuleStats[]>;
  /** The supervisor is gone: fail what waits, answer later clears from what events showed. */
  markGone(reason: string): void;
}

interface Pending {
  resolve: (stats: RuleStats[]) => void;
  reject: (err: Error) => void;
  stats: RuleStats[];
  /** A request that only clears the rules: answered from the events if the target dies first. */
  clear: boolean;
}

export function openChannel(socket: Duplex, opts: ChannelOptions): Channel {
  const liveRules = new Map<number, RuleStats>();
  const pending = new Map<number, Pending>();
  const filteredSet = new Set(opts.filtered);
  let nextRuleId = 1;
  let nextGen = 1;
  let exit: ExitStatus | undefined;
  let gone: string | undefined;
  let settleReady: {
    resolve: (v: ReadyInfo) => void;
    reject: (e: Error) => void;
  };
  const ready = new Promise<ReadyInfo>((resolve, reject) => {
    settleReady = { resolve, reject };
  });
  ready.catch(() => {}); // callers that never await it must not cause an unhandled rejection

  let buffered = "";
  let paused = false;
  // Lines after `applied` wait until the caller of setRules has run on: the faults that fire at once
  // must be logged after the caller's own record that the rules apply (core's fault_applied).
  const drain = () => {
    let nl: number;
    while (!paused && (nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (handleLine(line) === "settled") {
        paused = true;
        setImmediate(() => {
          paused = false;
          drain();
        });
      }
    }
  };
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    drain();
  });
  socket.on("error", () => {
    // EPIPE/ECONNRESET once the supervisor is gone; its exit is reported by whoever spawned it.
  });

  /** Returns "settled" when the line resolved a setRules call. */
  function handleLine(line: string): "settled" | void {
    const f = line.split(" ");
    switch (f[0]) {
      case "ready":
        settleReady.resolve({ pid: Number(f[1]), waitKillable: f[2] === "1", syncWakeup: f[3] === "1" });
        return;
      case "execfail":
        settleReady.reject(
          new SyscallFaultError("LAUNCH_FAILED", `cannot start "${opts.target}": ${decodeField(f[2] ?? "")}`),
        );
        return;
      case "fire": {
        const rule = liveRules.get(Number(f[1]));
        const action = f[5] as "deny" | "delay";
        if (rule) rule.fires++;
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
        return;
      }
      case "stat": {
        // Stats precede the `applied` of the oldest batch still waiting.
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
        return "settled";
      }
      case "exit":
        exit = {
          code: f[1] === "-" ? null : Number(f[1]),
          signal: f[2] === "-" ? null : signalName(Number(f[2])),
        };
        return;
      case "error":
        // Only a bug in this file can cause it: everything sent is validated first.
        process.emitWarning(`faultbox supervisor: ${decodeField(f.slice(1).join(" "))}`);
        return;
    }
  }

  async function setRules(rules: readonly SyscallRule[]): Promise<RuleStats[]> {
    if (gone !== undefined) {
      if (rules.length > 0) throw new SyscallFaultError("SUPERVISOR", gone);
      return statsFromEvents();
    }
    const lines: string[] = [];
    const added: RuleStats[] = [];
    rules.forEach((rule, index) => {
      const syscalls = expandSyscalls(rule.syscalls).filter((s) => opts.available.has(s));
      const missing = syscalls.filter((s) => !filteredSet.has(s));
      if (missing.length > 0)
        throw new SyscallFaultError(
          "FAULT_NOT_FILTERABLE",
          `cannot fault ${missing.join(", ")} on "${opts.target}": it was launched intercepting only ` +
            `[${opts.filtered.join(", ")}]. Name these syscalls when the service is launched (write the fault ` +
            `in the spec so it is known at load time, or add allow() for them)`,
        );
      const id = nextRuleId++;
      lines.push(ruleLine(id, syscalls, rule.fault, rule.path, ruleSeed(opts.seed, index)));
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
        clear: rules.length === 0,
      });
      socket.write(`rules ${gen} ${lines.length}\n${lines.map((l) => l + "\n").join("")}`);
    });
  }

  /**
   * The rules' counts after the target died (often because of the fault): what the events showed;
   * only fires are known, so matches is a lower bound. The rules are gone with it.
   */
  function statsFromEvents(): RuleStats[] {
    const stats = [...liveRules.values()].map((r) => ({ ...r, matches: r.fires }));
    liveRules.clear();
    return stats;
  }

  function markGone(reason: string): void {
    if (gone !== undefined) return;
    gone = reason;
    const err = new SyscallFaultError("SUPERVISOR", reason);
    // A clear that was on its way when the target died (often of the fault) needs no answer.
    for (const p of pending.values()) {
      if (p.clear) p.resolve([...p.stats, ...statsFromEvents()]);
      else p.reject(err);
    }
    pending.clear();
    settleReady.reject(new SyscallFaultError("LAUNCH_FAILED", reason));
  }

  return { ready, exitStatus: () => exit, setRules, markGone };
}

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name as NodeJS.Signals;
  return null;
}
