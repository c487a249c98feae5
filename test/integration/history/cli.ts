// Writing a throwaway spec and running `faultbox test SPEC --format json` on it, as a user would.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../../support/run-command.js";
import { root, type JsonRun, type JsonTest } from "../seed/cli.js";

export interface JsonResult extends JsonRun {
  code: number | null;
  stderr: string;
}

export function specFile(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-history-"));
  const spec = join(dir, "faultbox.star");
  writeFileSync(spec, lines.join("\n") + "\n");
  return spec;
}

export async function faultboxJson(spec: string, ...flags: string[]): Promise<JsonResult> {
  const r = await runCommand(
    [process.execPath, join(root, "bin/faultbox.js"), "test", spec, "--format", "json", ...flags],
    { timeoutMs: 600_000 },
  );
  if (r.timedOut) throw new Error(`faultbox test ${spec} did not finish\n${r.stderr}`);
  try {
    return { ...(JSON.parse(r.stdout) as JsonRun), code: r.code, stderr: r.stderr };
  } catch {
    throw new Error(`faultbox test ${spec} (exit ${r.code}) printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}

export function testNamed(r: JsonRun, name: string): JsonTest {
  const t = r.tests.find((x) => x.name === name);
  if (!t) throw new Error(`no test ${name} in the run (have ${r.tests.map((x) => x.name).join(", ")})`);
  return t;
}
