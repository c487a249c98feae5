// Running the faultbox CLI as a user would, on specs the tests write into fresh temporary folders.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
export const root = new URL("../..", import.meta.url).pathname;

/** Writes `text` as a spec in a fresh temporary folder and returns its path. */
export function specFile(text: string, name = "faultbox.star"): string {
  const file = join(mkdtempSync(join(tmpdir(), "fb-cli-")), name);
  writeFileSync(file, text);
  return file;
}

/** Runs the CLI and waits; a run that does not end within timeoutMs is killed (a hang shows as `error`). */
export function faultbox(
  args: string[],
  o: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    cwd: o.cwd ?? root,
    env: { ...process.env, ...o.env },
    timeout: o.timeoutMs ?? 120_000,
    killSignal: "SIGKILL",
  });
}

export interface JsonTest {
  name: string;
  result: string;
  reason?: string;
  failure_type?: string;
  replay_command?: string;
  location?: { file: string; line: number };
  diagnostics?: { code: string; message: string }[] | null;
  events: { seq: number; type: string; service: string; data: Record<string, unknown> }[] | null;
}

/** `faultbox test SPEC ...args --output FILE`: the run and the tests of its JSON document. */
export function testWithJson(spec: string, args: string[] = []) {
  const out = join(dirname(spec), `result-${Date.now()}.json`);
  const r = faultbox(["test", spec, ...args, "--output", out]);
  let tests: JsonTest[] = [];
  try {
    tests = (JSON.parse(readFileSync(out, "utf8")) as { tests: JsonTest[] }).tests;
  } catch {
    /* no document: the run failed before writing it (the status says why) */
  }
  return { ...r, tests };
}
