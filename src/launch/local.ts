// A local process in its own process group, output captured line by line, stopped with SIGTERM then
// SIGKILL to the whole group, and guarded by the watchdog so nothing outlives the runner.
//
// Service actions act on the whole group: kill = SIGKILL, pause/resume = SIGSTOP/SIGCONT, and start
// runs the same command again (same argv, env and working directory), so whatever the service keeps
// on disk is there for the new run.
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { createInterface } from "node:readline";
import {
  getProcessReaper,
  type ExitStatus,
  type LaunchRequest,
  type Launcher,
  type RunningProcess,
  type ServiceActions,
} from "../core/launcher.js";
import type { LaunchWrapper } from "../core/syscall.js";
import { processLiving } from "../util/proc.js";
import { groupMembers, untilStopped } from "./process-guard/stopped.js";
import { guardProcessGroup, releaseProcessGroup } from "./watchdog.js";

export interface LocalProcessOptions {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  onLine: (stream: "stdout" | "stderr", line: string) => void;
  /** Service name, for action errors. */
  name?: string;
  /** For a restart under the syscall supervisor: the argv of a fresh supervisor in front of `argv`. */
  rewrap?: (wrapper: LaunchWrapper | undefined) => { argv: string[]; env: Record<string, string> };
  /**
   * argv[0] is the faultbox supervisor (a wrapper for syscall faults, or the reaper), in every run:
   * stops end what the service started through it (see Run.supervised).
   */
  supervised?: boolean;
}

export interface LocalProcess extends RunningProcess {
  pid: number;
  actions: ServiceActions;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Whether the service of a run still lives: its leader, or under a supervisor (the leader) the
 * supervisor's child, which is the service; a supervisor outlives its service by the moment it takes
 * to reap what the service left.
 */
function runAlive(run: Run): boolean {
  if (run.endedWith || !processLiving(run.pid)) return false;
  if (!run.supervised) return true;
  let children: number[];
  try {
    children = readFileSync(`/proc/${run.pid}/task/${run.pid}/children`, "utf8")
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return true; // no /proc children list: assume alive, the exit notice will tell
  }
  return children.some(processLiving);
}

/** How long a supervisor gets to kill what a service left before its process group is SIGKILLed. */
const SUPERVISOR_KILL_MS = 2000;

/** One run of the command: its own process group. */
interface Run {
  pid: number;
  /**
   * The leader is the faultbox supervisor (a syscall-fault wrapper, or the reaper): SIGUSR2 from us
   * makes it kill the service and everything it started, daemons in other sessions included, which a
   * SIGKILL to the group would miss.
   */
  supervised: boolean;
  /** Closes our ends of its output pipes (a process that escaped may still hold the others). */
  closeOutput(): void;
  /** Resolves when the leader exits, whatever the reason. */
  ended: Promise<ExitStatus>;
  endedWith?: ExitStatus;
  /** Resolves when it exits other than through an action (what core sees as "the service exited"). */
  exited: Promise<ExitStatus>;
  byAction: boolean;
  paused: boolean;
}

function spawnRun(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  capture: (stream: "stdout" | "stderr") => (line: string) => void,
  supervised: boolean,
): Promise<Run> {
  return new Promise((resolveStart, rejectStart) => {
    const [cmd, ...args] = argv;
    if (!cmd) return rejectStart(new Error("empty command"));
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    createInterface({ input: child.stdout! }).on("line", capture("stdout"));
    createInterface({ input: child.stderr! }).on("line", capture("stderr"));
    let run: Run | undefined;
    let markExited: (s: ExitStatus) => void = () => undefined;
    const ended = new Promise<ExitStatus>((res) => {
      child.once("exit", (code, signal) => {
        const status = { code, signal };
        if (run) {
          run.endedWith = status;
          if (!run.byAction) markExited(status);
        }
        res(status);
      });
    });
    child.once("error", (err) => rejectStart(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.once("spawn", () => {
      const pid = child.pid!;
      guardProcessGroup(pid);
      run = {
        pid,
        supervised,
        closeOutput: () => {
          child.stdout!.destroy();
          child.stderr!.destroy();
        },
        ended,
        exited: new Promise<ExitStatus>((res) => (markExited = res)),
        byAction: false,
        paused: false,
      };
      resolveStart(run);
    });
  });
}

/**
 * SIGTERM (or the given signal) to the group; after graceMs (at once for SIGKILL) a supervisor is told
 * to kill everything the service started, and the group gets SIGKILL; waits for the whole group.
 */
async function endRun(run: Run, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const waitGroup = async (ms: number) => {
    const deadline = Date.now() + ms;
    // The leader may exit while children of the group linger: wait for the whole group.
    while (groupAlive(run.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  };
  if (groupAlive(run.pid)) {
    // A stopped process does not act on SIGTERM until it runs again.
    if (run.paused) signalGroup(run.pid, "SIGCONT");
    run.paused = false;
    if (signal !== "SIGKILL" || !run.supervised) {
      signalGroup(run.pid, signal);
      await waitGroup(graceMs);
    }
    if (groupAlive(run.pid) && run.supervised) {
      try {
        process.kill(run.pid, "SIGUSR2");
      } catch {
        /* gone meanwhile */
      }
      await waitGroup(SUPERVISOR_KILL_MS);
    }
    if (groupAlive(run.pid)) {
      signalGroup(run.pid, "SIGKILL");
      while (groupAlive(run.pid)) await new Promise((r) => setTimeout(r, 10));
    }
  }
  if (!run.endedWith) await run.ended;
  releaseProcessGroup(run.pid);
  run.closeOutput();
}

export async function startLocalProcess(o: LocalProcessOptions): Promise<LocalProcess> {
  const tail: string[] = [];
  const capture = (stream: "stdout" | "stderr") => (line: string) => {
    tail.push(line);
    if (tail.length > 200) tail.shift();
    o.onLine(stream, line);
  };
  let current = await spawnRun(o.argv, o.env, o.cwd, capture, o.supervised ?? false);
  let down = false;
  const who = o.name ? `service "${o.name}"` : `process ${o.argv[0]}`;
  const onlyNode = (node: number) => {
    if (node !== 1) throw new Error(`${who} is one process: it has node 1 only, not node ${node}`);
  };
  const actions: ServiceActions = {
    nodes: [1],
    async kill(node) {
      onlyNode(node);
      current.byAction = true;
      down = true;
      await endRun(current, "SIGKILL", 0);
    },
    async stop(node, graceMs) {
      onlyNode(node);
      current.byAction = true;
      down = true;
      await endRun(current, "SIGTERM", graceMs);
    },
    async start(node, options) {
      onlyNode(node);
      if (!down) throw new Error(`${who} is running; kill or stop it before starting it again`);
      const again = o.rewrap ? o.rewrap(options?.wrapper) : { argv: o.argv, env: o.env };
      current = await spawnRun(again.argv, again.env, o.cwd, capture, o.supervised ?? false);
      down = false;
    },
    async pause(node) {
      onlyNode(node);
      if (down) throw new Error(`${who} is down; start it before pausing it`);
      signalGroup(current.pid, "SIGSTOP");
      current.paused = true;
      const pgid = current.pid;
      await untilStopped(() => groupMembers(pgid), `pausing ${who}`);
    },
    async resume(node) {
      onlyNode(node);
      if (current.paused) signalGroup(current.pid, "SIGCONT");
      current.paused = false;
    },
  };
  return {
    get pid() {
      return current.pid;
    },
    addresses: {},
    get exited() {
      return current.exited;
    },
    lastLines: (n) => tail.slice(-n),
    alive: () => runAlive(current),
    async stop(graceMs: number) {
      await endRun(current, "SIGTERM", graceMs);
    },
    actions,
  };
}

/** Finds the binary: a path relative to the spec folder, or a name on PATH. */
export function resolveBinary(binary: string, cwd: string, env: Record<string, string>): string {
  if (binary.includes("/")) {
    const p = isAbsolute(binary) ? binary : resolve(cwd, binary);
    if (!existsSync(p)) throw new Error(`binary "${binary}" not found (looked at ${p})`);
    return p;
  }
  for (const dir of (env.PATH ?? "").split(":")) {
    if (dir && existsSync(resolve(dir, binary))) return resolve(dir, binary);
  }
  throw new Error(`binary "${binary}" not found on PATH`);
}

export const localLauncher: Launcher = {
  kind: "binary",
  async check(svc, env) {
    let bin: string;
    try {
      bin = resolveBinary(svc.binary!, svc.cwd, env);
    } catch (err) {
      return (err as Error).message;
    }
    try {
      accessSync(bin, constants.X_OK);
    } catch {
      return `binary "${svc.binary}" (${bin}) is not executable (chmod +x it, or name its interpreter: service(..., "node", args=[...]))`;
    }
    return undefined;
  },
  async launch(req: LaunchRequest): Promise<RunningProcess> {
    const svc = req.service;
    const bin = resolveBinary(svc.binary!, svc.cwd, req.env);
    // The syscall supervisor reaps what the service starts; without it the reaper does.
    const reaper = getProcessReaper()?.argvPrefix();
    const command = (wrapper: LaunchWrapper | undefined) => ({
      argv: [...(wrapper?.argvPrefix ?? reaper ?? []), bin, ...svc.args],
      env: { ...req.env, ...(wrapper?.env ?? {}) },
    });
    const first = command(req.wrapper);
    return startLocalProcess({
      ...first,
      cwd: svc.cwd,
      onLine: req.onLine,
      name: svc.name,
      rewrap: command,
      supervised: req.wrapper !== undefined || reaper !== undefined,
    });
  },
};
