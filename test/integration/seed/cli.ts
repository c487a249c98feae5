// Runs `faultbox test <spec> --format json` as a user would and parses what it prints.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "../../support/run-command.js";
import { withSpecPortLocks } from "../../support/shared-services.js";

export const root = join(fileURLToPath(import.meta.url), "..", "..", "..", "..");

export interface JsonEvent {
  seq: number;
  type: string;
  service: string;
  data: Record<string, unknown>;
}

export interface JsonTest {
  name: string;
  result: string;
  reason?: string;
  faults?: string[];
  duration_ms: number;
  diagnostics?: { code: string; message: string }[];
  events: JsonEvent[] | null;
}

export interface JsonRun {
  pass: number;
  fail: number;
  duration_ms: number;
  tests: JsonTest[];
  matrix?: { cells: { scenario: string; fault: string; passed: boolean }[] };
}

export interface CliRun {
  code: number | null;
  json: JsonRun;
  stderr: string;
  wallMs: number;
}

export async function faultboxTest(spec: string, ...flags: string[]): Promise<CliRun> {
  const started = performance.now();
  // A spec that binds a fixed port waits for another file's run of a spec binding the same one.
  const r = await withSpecPortLocks(join(root, spec), () =>
    runCommand(
      [
        process.execPath,
        join(root, "bin", "faultbox.js"),
        "test",
        join(root, spec),
        "--format",
        "json",
        ...flags,
      ],
      { timeoutMs: 300_000 },
    ),
  );
  const wallMs = Math.round(performance.now() - started);
  if (r.timedOut) throw new Error(`faultbox test ${spec} did not finish within 300s\n${r.stderr}`);
  let json: JsonRun;
  try {
    json = JSON.parse(r.stdout) as JsonRun;
  } catch {
    throw new Error(`faultbox test ${spec} (exit ${r.code}) printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
  // Figures, not assertions: how long a spec takes with its brokers.
  process.stderr.write(
    `# ${spec}${flags.length ? " " + flags.join(" ") : ""}: exit ${r.code}, ${wallMs} ms wall\n`,
  );
  return { code: r.code, json, stderr: r.stderr, wallMs };
}

export function test(run: CliRun, name: string): JsonTest {
  const t = run.json.tests.find((x) => x.name === name);
  if (!t)
    throw new Error(`no test ${name} in the run (have ${run.json.tests.map((x) => x.name).join(", ")})`);
  return t;
}

/** The `proxy` events of a test whose action is the given fault kind (each one a fault that fired). */
export function fired(t: JsonTest, action: string): JsonEvent[] {
  return (t.events ?? []).filter((e) => e.type === "proxy" && e.data.action === action);
}

export function ofType(t: JsonTest, type: string): JsonEvent[] {
  return (t.events ?? []).filter((e) => e.type === type);
}

export function allPassed(run: CliRun): string {
  return run.json.tests
    .filter((t) => t.result !== "pass")
    .map((t) => `${t.name}: ${t.result}: ${t.reason}`)
    .join("\n");
}
