// The seccomp supervisor as core's SyscallController: the launcher spawns
// [supervisor, --ctl-socket, <path>, ..., --, service argv], the supervisor connects back, and the
// session applies core's rules to it. Register once with registerSeccompController().
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerProcessReaper, type ProcessReaper } from "../core/launcher.js";
import type { SyscallRule as CoreSyscallRule } from "../core/model.js";
import {
  registerSyscallController,
  type LaunchWrapper,
  type RuleCounts,
  type SyscallController,
  type SyscallSession,
} from "../core/syscall.js";
import { ensureSupervisor } from "./build.js";
import { openChannel, type RuleStats, type SyscallFaultEvent } from "./channel.js";
import { processLiving } from "../util/proc.js";
import { SyscallFaultError } from "./errors.js";
import type { ErrnoName } from "./errno.js";
import { widenToFamilies } from "./families.js";
import type { SyscallRule } from "./faults.js";
import { supportedSyscalls } from "./platform.js";
import { syscallFaultsSupported } from "./probe.js";

const CONNECT_TIMEOUT_MS = 30_000;

type Emit = (type: string, data: Record<string, unknown>) => void;

/** A `syscall` event as the Go implementation logs it (fields are strings). */
function syscallEvent(e: SyscallFaultEvent): Record<string, unknown> {
  const data: Record<string, unknown> = {
    syscall: e.syscall,
    pid: String(e.pid),
    tid: String(e.tid),
    decision: e.action === "deny" ? `deny(${e.errno})` : `delay(${e.delayMs}ms)`,
  };
  if (e.action === "delay") data.latency_ms = String(e.delayMs);
  if (e.path !== undefined) data.path = e.path;
  if (e.label !== undefined) data.label = e.label;
  return data;
}

function toRule(r: CoreSyscallRule): SyscallRule {
  return {
    syscalls: widenToFamilies(r.syscalls),
    path: r.pathGlob,
    fault: {
      kind: r.fault.action,
      errno: r.fault.errno as ErrnoName | undefined,
      delayMs: r.fault.delayMs,
      probability: r.fault.action === "allow" ? 0 : r.fault.probability,
      label: r.fault.label,
      maxFires: r.fault.maxFires,
    },
  };
}

async function session(
  socket: Socket,
  service: string,
  filtered: string[],
  available: ReadonlySet<string>,
  seed: bigint,
  emit: Emit,
): Promise<SyscallSession> {
  const channel = openChannel(socket, {
    target: `service "${service}"`,
    filtered,
    available,
    seed,
    onEvent: (e) => emit("syscall", syscallEvent(e)),
  });
  socket.on("close", () => channel.markGone(`service "${service}" has exited`));
  await channel.ready;
  let keys: string[] = [];
  return {
    async setRules(rules) {
      await channel.setRules(rules.map(toRule));
      keys = rules.map((r) => r.key);
    },
    async clearRules() {
      const stats: RuleStats[] = await channel.setRules([]);
      const counts: Record<string, RuleCounts> = {};
      // Stats come back in the order the rules were set.
      stats.forEach((s, i) => {
        const key = keys[i] ?? String(s.ruleId);
        const c = (counts[key] ??= { matched: 0, fired: 0 });
        c.matched += s.matches;
        c.fired += s.fires;
      });
      keys = [];
      return counts;
    },
    async close() {
      // The launcher stops the process; the supervisor exits with it. Until then the connection
      // stays open, because its loss makes the supervisor kill everything at once.
      channel.markGone(`the syscall session of service "${service}" is closed`);
      socket.unref();
    },
  };
}

export function createSeccompController(): SyscallController {
  return {
    unavailableReason() {
      const support = syscallFaultsSupported();
      return support.ok ? undefined : support.reason;
    },
    async wrap({ service, syscalls, seed, emit }): Promise<LaunchWrapper> {
      const support = syscallFaultsSupported();
      if (!support.ok)
        throw new SyscallFaultError(
          "UNSUPPORTED",
          `syscall faults on service "${service}": ${support.reason}`,
        );
      const bin = ensureSupervisor();
      const available = supportedSyscalls(bin);
      const filtered = widenToFamilies(syscalls).filter((s) => available.has(s));
      const dir = mkdtempSync(join(tmpdir(), "faultbox-sc-"));
      const path = join(dir, "ctl.sock");
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(path, resolve);
      });
      // A launcher that retries (the local Kafka on a new port) starts a second supervisor, which
      // connects again: the session belongs to the latest one (dropping the older connection makes
      // an older supervisor still alive kill its target).
      let latest: Socket | undefined;
      let waiting: ((s: Socket) => void) | undefined;
      server.on("connection", (socket) => {
        latest?.destroy();
        latest = socket;
        waiting?.(socket);
      });
      const connected = () =>
        latest ? Promise.resolve(latest) : new Promise<Socket>((resolve) => (waiting = resolve));
      const cleanup = () => {
        server.close();
        rmSync(dir, { recursive: true, force: true });
      };
      return {
        argvPrefix: [bin, "--ctl-socket", path, "--syscalls", filtered.join(","), "--"],
        env: {},
        dispose: () => {
          latest?.destroy();
          cleanup();
        },
        async attach(pid: number): Promise<SyscallSession> {
          let timer: NodeJS.Timeout | undefined;
          const started = Date.now();
          const timeout = new Promise<never>((_, reject) => {
            // Fail fast when the supervisor died before connecting (its stderr says why).
            timer = setInterval(() => {
              const dead = !processLiving(pid);
              if (dead || Date.now() - started > CONNECT_TIMEOUT_MS)
                reject(
                  new SyscallFaultError(
                    "LAUNCH_FAILED",
                    dead
                      ? `the faultbox supervisor of service "${service}" exited before connecting; see the service's stderr`
                      : `the faultbox supervisor of service "${service}" did not connect within ${CONNECT_TIMEOUT_MS / 1000}s`,
                  ),
                );
            }, 100);
          });
          try {
            const socket = await Promise.race([connected(), timeout]);
            return await session(socket, service, filtered, available, seed, emit);
          } finally {
            clearInterval(timer);
            cleanup();
          }
        },
      };
    },
  };
}

/** Makes core route syscall faults (fault(svc, write=deny(...)), fault_assumption) to seccomp, and
 * run every other local service under the supervisor's reap mode (nothing it starts outlives it). */
export function registerSeccompController(): void {
  registerSyscallController(createSeccompController());
  registerProcessReaper(supervisorReaper);
}

let reapPrefix: string[] | undefined | null = null;

/** The supervisor without a filter (`--reap`): needs Linux and the supervisor binary, not seccomp. */
export const supervisorReaper: ProcessReaper = {
  argvPrefix() {
    if (reapPrefix !== null) return reapPrefix;
    reapPrefix = undefined;
    if (process.platform !== "linux") return reapPrefix;
    try {
      reapPrefix = [ensureSupervisor(), "--reap", "--"];
    } catch (err) {
      process.stderr.write(
        `faultbox: local services run without the process reaper (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); ` +
          `a daemon a service detaches with setsid can outlive it\n`,
      );
    }
    return reapPrefix;
  },
};
