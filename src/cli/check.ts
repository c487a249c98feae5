// `faultbox check SPEC [--format json] [--timeout SECONDS] [--allow-empty]`: load and validate the spec,
// check that its services can be set up, run nothing.
import { relative } from "node:path";
import { errorMessage } from "../core/errors.js";
import { UsageError, intFlag, parseArgs } from "./args.js";
import { loadSpec } from "./load.js";
import { noTestsMessage, reportLoadError, setupErrorLine } from "./errors.js";
import { checkSetup } from "../core/services.js";

interface Finding {
  level: "error" | "warning";
  code: string;
  message: string;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  let timeoutSeconds: number | undefined;
  try {
    parsed = parseArgs(argv, { format: true, timeout: true, "allow-empty": false });
    if (parsed.positional.length > 1) throw new UsageError("faultbox check takes one spec file");
    const format = parsed.flags.format ?? "text";
    if (format !== "text" && format !== "json")
      throw new UsageError(`--format must be text or json, got "${format}"`);
    timeoutSeconds = intFlag(parsed.flags, "timeout", 1);
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
  const json = parsed.flags.format === "json";
  const printJson = (doc: object) => process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  let builder;
  try {
    builder = await loadSpec(parsed.positional[0], {
      timeoutMs: timeoutSeconds !== undefined ? timeoutSeconds * 1000 : undefined,
    });
  } catch (err) {
    if (!json) return reportLoadError(err);
    printJson({
      schema_version: 1,
      spec: parsed.positional[0],
      ok: false,
      findings: [
        {
          level: "error",
          code: (err as { code?: string }).code ?? "SPEC_LOAD_FAILED",
          message: errorMessage(err),
        },
      ],
    });
    return 1;
  }
  const suite = builder.suite;
  const tests = [...suite.tests].map((t) => t.name).sort();
  const findings: Finding[] = suite.warnings.map((w) => ({
    level: "warning",
    code: "SPEC_WARNING",
    message: w,
  }));
  if (tests.length === 0) {
    findings.push({
      level: parsed.flags["allow-empty"] ? "warning" : "error",
      code: "NO_TESTS_DISCOVERED",
      message: noTestsMessage(suite.file, parsed.flags["allow-empty"] === "true"),
    });
  }
  for (const p of await checkSetup(suite))
    findings.push({ level: "error", code: "SETUP_ERROR", message: setupErrorLine(p) });
  const ok = !findings.some((f) => f.level === "error");
  const file = relative(process.cwd(), suite.file) || suite.file;
  if (json) {
    printJson({
      schema_version: 1,
      spec: file,
      ok,
      services: suite.services.map((s) => s.name),
      tests,
      ...(findings.length ? { findings } : {}),
    });
    return ok ? 0 : 1;
  }
  for (const f of findings)
    (f.level === "error" ? process.stderr : process.stdout).write(
      `${f.level.toUpperCase()}: [${f.code}] ${f.message}\n`,
    );
  if (!ok) return 1;
  process.stdout.write(
    `ok${findings.length ? " (warnings only)" : ""}  ${file} — ${suite.services.length} service(s), ${tests.length} test(s)\n`,
  );
  for (const t of tests) process.stdout.write(`  ${t}\n`);
  return 0;
}
