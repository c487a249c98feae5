// `faultbox test SPEC [--test NAME] [--seed N] [--runs N] [--shard I/N] [--format json] [--output FILE] [--junit FILE]
//  [--html FILE] [--normalize FILE] [--dry-run]`
import { accessSync, constants, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { NoTestMatched, runSuite, type RunOptions } from "../core/engine.js";
import { runInLanes } from "../core/lanes.js";
import { SpecError, errorMessage, locationText } from "../core/errors.js";
import type { Suite } from "../core/model.js";
import { randomSeed } from "../core/random.js";
import { parseShard, type Shard } from "../core/shard.js";
import { exitCode, type TestResult, unappliedAssumptions } from "../core/results.js";
import { consoleReporter, lanesLine } from "../report/console.js";
import { toJson } from "../report/json.js";
import { toHtml } from "../report/html.js";
import { toJUnit } from "../report/junit.js";
import type { JsonDoc } from "../report/doc.js";
import { normalizeDoc } from "../report/normalize.js";
import { UsageError, intFlag, parseArgs, testFilterFlag } from "./args.js";
import { loadLanes } from "./lanes.js";
import { loadSpec } from "./load.js";
import { noTestsMessage, reportLoadError, setupErrorLine } from "./errors.js";
import { checkSetup } from "../core/services.js";
import { processStallGuard } from "../core/stall-guard.js";
import { dryRunPlan, formatDryRun } from "./dry-run.js";
import { bundleAfterRun } from "./bundling.js";
import { keptBundles } from "../report/bundle.js";

const FLAGS = {
  test: true,
  seed: true,
  runs: true,
  format: true,
  output: true,
  junit: true,
  html: true,
  timeout: true,
  shard: true,
  "allow-empty": false,
  parallel: true,
  pool: false,
  verbose: false,
  normalize: true,
  "dry-run": false,
  bundle: true,
  "no-bundle": false,
};

/** Fails before the run (which may take minutes) when a report could not be written afterwards. */
export function checkWritable(flag: string, path: string | undefined): void {
  if (path === undefined) return;
  const file = resolve(path);
  let dirOk = false;
  try {
    dirOk = statSync(dirname(file)).isDirectory();
    if (dirOk) accessSync(dirname(file), constants.W_OK);
  } catch (e) {
    if (dirOk)
      throw new UsageError(
        `--${flag} ${path}: directory ${dirname(file)} is not writable (${(e as Error).message})`,
      );
  }
  if (!dirOk) throw new UsageError(`--${flag} ${path}: directory ${dirname(file)} does not exist`);
  try {
    if (statSync(file).isDirectory())
      throw new UsageError(`--${flag} ${path} is a directory; give a file name`);
  } catch (e) {
    if (e instanceof UsageError) throw e; // a missing file is fine: it is created
  }
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  let seed: bigint;
  let runs: number | undefined;
  let timeoutSeconds: number | undefined;
  let shard: Shard | undefined;
  let parallel: number | undefined;
  try {
    parsed = parseArgs(argv, FLAGS);
    if (parsed.positional.length > 1)
      throw new UsageError(`faultbox test takes one spec file, got ${parsed.positional.join(" ")}`);
    const format = parsed.flags.format ?? "text";
    if (format !== "text" && format !== "json")
      throw new UsageError(`--format must be text or json, got "${format}"`);
    const s = parsed.flags.seed;
    if (s !== undefined && !/^\d+$/.test(s))
      throw new UsageError(`--seed must be a non-negative integer, got "${s}"`);
    seed = s !== undefined ? BigInt(s) : randomSeed();
    runs = intFlag(parsed.flags, "runs", 1);
    for (const flag of ["output", "junit", "html", "normalize", "bundle"] as const)
      checkWritable(flag, parsed.flags[flag]);
    timeoutSeconds = intFlag(parsed.flags, "timeout", 1);
    if (parsed.flags.shard !== undefined) shard = parseShard(parsed.flags.shard);
    parallel = intFlag(parsed.flags, "parallel", 1);
    testFilterFlag(parsed.flags);
    if (parsed.flags.bundle !== undefined && parsed.flags["no-bundle"])
      throw new UsageError(`--bundle ${parsed.flags.bundle} and --no-bundle contradict each other; give one`);
    keptBundles(); // a bad FAULTBOX_KEEP_BUNDLES fails now, not after the run
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
  const json = parsed.flags.format === "json";
  // With --format json, stdout carries only the JSON document.
  const human = (s: string) => (json ? process.stderr : process.stdout).write(s);

  const loadOptions = { timeoutMs: timeoutSeconds !== undefined ? timeoutSeconds * 1000 : undefined };
  let builder;
  try {
    builder = await loadSpec(parsed.positional[0], loadOptions);
  } catch (err) {
    return reportLoadError(err);
  }
  const suite = builder.suite;
  if (suite.tests.length === 0 && !parsed.flags["allow-empty"]) {
    process.stderr.write(`error: [NO_TESTS_DISCOVERED] ${noTestsMessage(suite.file)}\n`);
    return 1;
  }
  if (parsed.flags["dry-run"]) return dryRun(suite, parsed.flags.test, json, runs ?? 1, shard);
  const setup = await checkSetup(suite);
  if (setup.length) {
    for (const p of setup) process.stderr.write(`error: [SETUP_ERROR] ${setupErrorLine(p)}\n`);
    return 1;
  }
  const reporter = consoleReporter(human, suite.file);
  human(`Seed: ${seed} (${parsed.flags.seed !== undefined ? "cli" : "generated"})\n`);
  for (const w of suite.warnings) reporter.warning(w);

  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      human(`\n${sig}: stopping services (again to force)...\n`);
      abort.abort();
    } else process.exit(130); // the watchdog still reaps every service group
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let result;
  try {
    const pool = parsed.flags.pool === "true";
    const plan =
      parallel !== undefined || pool
        ? await loadLanes(builder, () => loadSpec(parsed.positional[0], loadOptions), {
            parallel: parallel ?? 1,
            pool,
            filter: parsed.flags.test,
            shard,
          })
        : undefined;
    if (plan?.note) reporter.warning(plan.note);
    const options = {
      seed,
      runs,
      filter: parsed.flags.test,
      shard,
      signal: abort.signal,
      testTimeoutMs: timeoutSeconds !== undefined ? timeoutSeconds * 1000 : undefined,
      stallGuard: processStallGuard(),
      onTestStart: (n: string, i: number, t: number) => reporter.testStart(n, i, t),
      onTestEnd: (r: TestResult) => reporter.testEnd(r),
      onWarning: (m: string) => reporter.warning(m),
      echo: parsed.flags.verbose ? (svc: string, line: string) => human(`  [${svc}] ${line}\n`) : undefined,
    } satisfies RunOptions;
    result = plan
      ? await runInLanes(plan.lanes, { ...options, parallel: parallel ?? 1, pool })
      : await runSuite(suite, builder.runtime, options);
  } catch (err) {
    if (err instanceof UsageError) return reportLoadError(err);
    if (err instanceof NoTestMatched) {
      process.stderr.write(`ERROR: ${err.message}\n`);
      return 1;
    }
    if (err instanceof SpecError) return reportLoadError(err);
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  // A complete run: a fault the spec declared that no test applied is named (not a failure: a spec may
  // keep one for later, but it must not look tested).
  if (parsed.flags.test === undefined && !shard && result.notRun.length === 0) {
    for (const a of unappliedAssumptions(suite, result)) {
      const at = a.location ? ` (${locationText(a.location)})` : "";
      const w = `fault_assumption("${a.name}")${at} was declared but no test applied it: nothing ran under this fault`;
      result.warnings.push(w); // the summary lists the run's warnings, and so does the JSON document
    }
  }
  reporter.summary(result);
  if (result.lanes) human(lanesLine(result.lanes, result.durationMs) + "\n");
  const doc = JSON.stringify(toJson(result), null, 2) + "\n";
  if (json) process.stdout.write(doc);
  if (parsed.flags.output) writeFileSync(parsed.flags.output, doc);
  if (parsed.flags.junit) writeFileSync(parsed.flags.junit, toJUnit(result));
  if (parsed.flags.html) writeFileSync(parsed.flags.html, toHtml(result));
  if (parsed.flags.normalize)
    writeFileSync(parsed.flags.normalize, normalizeDoc(toJson(result) as JsonDoc, dirname(suite.file)));
  bundleAfterRun({
    suite,
    result,
    doc: toJson(result) as JsonDoc,
    specGiven: parsed.positional[0] ?? "faultbox.star",
    bundle: parsed.flags.bundle,
    noBundle: parsed.flags["no-bundle"] === "true",
    options: { test: parsed.flags.test, runs, timeout: timeoutSeconds, shard: parsed.flags.shard },
  });
  return exitCode(result);
}

/** --dry-run: the plan from the loaded spec; nothing starts. */
function dryRun(
  suite: Suite,
  filter: string | undefined,
  json: boolean,
  runs: number,
  shard?: Shard,
): number {
  let plan;
  try {
    plan = dryRunPlan(suite, filter, shard);
  } catch (err) {
    if (!(err instanceof NoTestMatched)) throw err;
    process.stderr.write(`ERROR: ${err.message}\n`);
    return 1;
  }
  process.stdout.write(json ? JSON.stringify(plan, null, 2) + "\n" : formatDryRun(plan, runs));
  return 0;
}
