// A local process in its own process group, output captured line by line, stopped with SIGTERM then
// SIGKILL to the whole group, and guarded by the watchdog so nothing outlives the runner.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { LaunchRequest, Launcher, RunningProcess } from "../core/launcher.js";
import { guardProcessGroup, releaseProcessGroup } from "./watchdog.js";

export interface LocalProcessOptions {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  onLine: (stream: "stdout" | "stderr", line: string) => void;
}

export interface LocalProcess extends RunningProcess {
  pid: number;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function startLocalProcess(o: LocalProcessOptions): Promise<LocalProcess> {
  return new Promise((resolveStart, rejectStart) => {
    const [cmd, ...args] = o.argv;
    if (!cmd) return rejectStart(new Error("empty command"));
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tail: string[] = [];
    const capture = (stream: "stdout" | "stderr") => (line: string) => {
      tail.push(line);
      if (tail.length > 200) tail.shift();
      o.onLine(stream, line);
    };
    createInterface({ input: child.stdout! }).on("line", capture("stdout"));
    createInterface({ input: child.stderr! }).on("line", capture("stderr"));
    let exitInfo: { code: number | null; signal: string | null } | undefined;
    const exited = new Promise<{ code: number | null; signal: string | null }>((res) => {
      child.once("exit", (code, signal) => {
        exitInfo = { code, signal };
        res(exitInfo);
      });
    });
    child.once("error", (err) => rejectStart(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.once("spawn", () => {
      const pid = child.pid!;
      guardProcessGroup(pid);
      const stop = async (graceMs: number) => {
        if (groupAlive(pid)) {
          try {
            process.kill(-pid, "SIGTERM");
          } catch {
            /* already gone */
          }
          const deadline = Date.now() + graceMs;
          // The leader may exit while children of the group linger: wait for the whole group.
          while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
          if (groupAlive(pid)) {
            try {
              process.kill(-pid, "SIGKILL");
            } catch {
              /* gone */
            }
            while (groupAlive(pid)) await new Promise((r) => setTimeout(r, 10));
          }
        }
        if (!exitInfo) await exited;
        releaseProcessGroup(pid);
      };
      resolveStart({ pid, addresses: {}, exited, lastLines: (n) => tail.slice(-n), stop });
    });
  });
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
  async launch(req: LaunchRequest): Promise<RunningProcess> {
    const svc = req.service;
    const bin = resolveBinary(svc.binary!, svc.cwd, req.env);
    const argv = [...(req.wrapper?.argvPrefix ?? []), bin, ...svc.args];
    return startLocalProcess({
      argv,
      env: { ...req.env, ...(req.wrapper?.env ?? {}) },
      cwd: svc.cwd,
      onLine: req.onLine,
    });
  },
};
