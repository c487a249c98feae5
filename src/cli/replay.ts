// `faultbox replay BUNDLE [--test NAME] [--dir DIR] [faultbox test's report flags]`: unpacks a bundle,
// runs its spec with the bundle's seed and selection (--test narrows it), then compares the verdicts
// and the normalized trace with the bundle's. Exit code: the replayed run's, as `faultbox test` gives
// it (0 pass, 2 a test failed, 3 inconclusive), or 1 when the bundle cannot be read or run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { errorMessage } from "../core/errors.js";
import { extractBundle, readBundle, type Bundle } from "../report/bundle.js";
import type { JsonDoc } from "../report/doc.js";
import { unifiedDiff } from "../report/diff.js";
import { NORMALIZED_HEADER } from "../report/normalize.js";
import { UsageError, parseArgs, testFilterFlag } from "./args.js";
import { run as runTest } from "./test.js";

const FLAGS = {
  test: true,
  dir: true,
  format: true,
  output: true,
  junit: true,
  html: true,
  normalize: true,
  verbose: false,
};

/** A trace's test blocks by name (the header line and everything up to the next test). */
function blocks(trace: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of trace.split(/\n(?==== )/).slice(1)) {
    const name = /^=== (.*): \S+ ===/.exec(part)?.[1];
    if (name !== undefined) out.set(name, part.trimEnd() + "\n");
  }
  return out;
}

/** The part of a trace covering the given tests, in their order. */
function traceOf(trace: string, tests: string[]): string {
  const b = blocks(trace);
  return [NORMALIZED_HEADER, ...tests.map((t) => "\n" + (b.get(t) ?? `=== ${t}: (absent) ===\n`))].join("\n");
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, program)));
}

/** Programs the bundle does not carry and this machine lacks: said before the run, not after a timeout. */
function missingPrograms(b: Bundle): string[] {
  return b.manifest.external
    .filter((x) => (x.program.includes("/") ? !existsSync(x.program) : !onPath(x.program)))
    .map((x) => `service "${x.service}" runs ${x.program} (${x.why}), which is not here`);
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  let bundle: Bundle;
  try {
    parsed = parseArgs(argv, FLAGS);
    if (parsed.positional.length !== 1)
      throw new UsageError(`faultbox replay takes one bundle file, got ${parsed.positional.length}`);
    testFilterFlag(parsed.flags);
    bundle = readBundle(parsed.positional[0]!);
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
  const m = bundle.manifest;
  const keep = parsed.flags.dir !== undefined;
  const dir = keep ? resolve(parsed.flags.dir!) : mkdtempSync(join(tmpdir(), "faultbox-replay-"));
  const work = mkdtempSync(join(tmpdir(), "faultbox-replay-out-"));
  try {
    const spec = extractBundle(bundle, dir);
    const say = (s: string) => process.stderr.write(s + "\n");
    say(
      `Replaying ${parsed.positional[0]}: ${m.spec_given} with seed ${m.seed}` +
        `${(parsed.flags.test ?? m.options.test) !== undefined ? `, --test ${parsed.flags.test ?? m.options.test}` : ""}` +
        ` (made ${m.created_at} by faultbox ${m.faultbox_version} on Node ${bundle.env.node}, ${bundle.env.platform}/${bundle.env.arch})`,
    );
    say(`Unpacked into ${dir}${keep ? "" : " (removed afterwards; --dir DIR keeps it)"}`);
    for (const line of missingPrograms(bundle)) say(`WARNING: ${line}`);

    const output = parsed.flags.output ?? join(work, "result.json");
    const normalize = parsed.flags.normalize ?? join(work, "trace.norm");
    const test = parsed.flags.test ?? m.options.test;
    const args = [
      spec,
      "--seed",
      m.seed,
      ...(test !== undefined ? ["--test", test] : []),
      ...(m.options.runs !== undefined ? ["--runs", String(m.options.runs)] : []),
      ...(m.options.timeout !== undefined ? ["--timeout", String(m.options.timeout)] : []),
      // A --test of the replay's own picks from the whole spec, not from the original run's shard.
      ...(m.options.shard !== undefined && parsed.flags.test === undefined
        ? ["--shard", m.options.shard]
        : []),
      "--output",
      output,
      "--normalize",
      normalize,
      "--no-bundle",
      ...(["format", "junit", "html"] as const).flatMap((f) =>
        parsed.flags[f] !== undefined ? [`--${f}`, parsed.flags[f]!] : [],
      ),
      ...(parsed.flags.verbose ? ["--verbose"] : []),
    ];
    const code = await runTest(args);
    if (!existsSync(output)) return code; // the spec did not load or run: its error is printed
    const now = JSON.parse(readFileSync(output, "utf8")) as JsonDoc;
    const tests = now.tests.map((t) => t.name);
    const before = new Map(bundle.result.tests.map((t) => [t.name, t.result]));
    const changed = now.tests
      .filter((t) => before.get(t.name) !== t.result)
      .map((t) => `${t.name}: ${before.get(t.name) ?? "not in the bundle"} then, ${t.result} now`);
    say("");
    say(
      changed.length
        ? `Verdicts differ from the bundle's:\n  ${changed.join("\n  ")}`
        : `Verdicts: the same as the bundle's (${tests.length} test(s): ${now.pass} passed, ${now.fail} failed${now.inconclusive ? `, ${now.inconclusive} inconclusive` : ""})`,
    );
    const diff = unifiedDiff(
      traceOf(bundle.normalized, tests),
      traceOf(readFileSync(normalize, "utf8"), tests),
      {
        nameA: "the bundle's trace",
        nameB: "this replay's trace",
        color: process.stderr.isTTY === true && !process.env.NO_COLOR,
      },
    );
    say(
      diff
        ? `Normalized trace differs from the bundle's:\n${diff}`
        : "Normalized trace: identical to the bundle's",
    );
    return code;
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
