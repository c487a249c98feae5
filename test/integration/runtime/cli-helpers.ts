// Runs the faultbox CLI as a user would, for the runtime integration tests.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const bin = join(root, "bin", "faultbox.js");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function faultbox(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
    timeout: timeoutMs,
    // A run that does not end within the limit is killed outright: spawnSync waits for the child to
    // exit, so a SIGTERM it handles without ending would hold this (and the test's timeout) forever.
    killSignal: "SIGKILL",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function faultboxAsync(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Pids of live processes whose command line contains marker. */
export function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (cmd.includes(marker) && !/\) Z /.test(stat)) out.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface JsonTest {
  name: string;
  result: string;
  reason?: string;
  failure_type?: string;
  location?: { file: string; line: number };
  expectation_violated?: boolean;
  diagnostics?: { code: string; message: string }[];
  assertions: number;
  service_output?: { service: string; lines: string[] };
  events: { seq: number; type: string; service: string; data: Record<string, unknown> }[] | null;
}

export interface JsonResult {
  version: number;
  pass: number;
  fail: number;
  inconclusive?: number;
  tests: JsonTest[];
  matrix?: {
    cells: { scenario: string; fault: string; passed: boolean; outcome: string }[];
    total: number;
    passed: number;
  };
}

export function byName(r: JsonResult, name: string): JsonTest {
  const t = r.tests.find((x) => x.name === name);
  if (!t) throw new Error(`no test ${name} in ${r.tests.map((x) => x.name).join(", ")}`);
  return t;
}
