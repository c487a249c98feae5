// `faultbox check SPEC [--format json]`: load and validate the spec, run nothing.
import { relative } from "node:path";
import { errorMessage } from "../core/errors.js";
import { UsageError, parseArgs } from "./args.js";
import { loadSpec } from "./load.js";
import { reportLoadError } from "./errors.js";

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv, { format: true });
    if (parsed.positional.length > 1) throw new UsageError("faultbox check takes one spec file");
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
  const json = parsed.flags.format === "json";
  let builder;
  try {
    builder = await loadSpec(parsed.positional[0]);
  } catch (err) {
    if (json) {
      process.stdout.write(
        JSON.stringify(
          {
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
          },
          null,
          2,
        ) + "\n",
      );
      return 1;
    }
    return reportLoadError(err);
  }
  const suite = builder.suite;
  const tests = [...suite.tests].map((t) => t.name).sort();
  const findings = suite.warnings.map((w) => ({ level: "warning", code: "SPEC_WARNING", message: w }));
  if (tests.length === 0)
    findings.push({ level: "warning", code: "NO_TESTS_DISCOVERED", message: "the spec declares no tests" });
  const file = relative(process.cwd(), suite.file) || suite.file;
  if (json) {
    process.stdout.write(
      JSON.stringify(
        {
          schema_version: 1,
          spec: file,
          ok: true,
          services: suite.services.map((s) => s.name),
          tests,
          ...(findings.length ? { findings } : {}),
        },
        null,
        2,
      ) + "\n",
    );
    return 0;
  }
  for (const f of findings) process.stdout.write(`${f.level.toUpperCase()}: [${f.code}] ${f.message}\n`);
  process.stdout.write(
    `ok${findings.length ? " (warnings only)" : ""}  ${file} — ${suite.services.length} service(s), ${tests.length} test(s)\n`,
  );
  for (const t of tests) process.stdout.write(`  ${t}\n`);
  return 0;
}
