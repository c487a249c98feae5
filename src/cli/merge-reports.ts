// `faultbox merge-reports FILE... [--output FILE] [--junit FILE] [--html FILE]`: the JSON results of
// the shards of one run (`faultbox test --shard I/N --output FILE` on N machines) as one report.
import { readFileSync, writeFileSync } from "node:fs";
import { exitCode } from "../core/results.js";
import { htmlFromDoc } from "../report/html.js";
import { toJUnit } from "../report/junit.js";
import { MergeError, mergeReports, suiteFromDoc, type ReportInput } from "../report/merge.js";
import { UsageError, parseArgs } from "./args.js";
import { checkWritable } from "./test.js";

export const MERGE_USAGE = `Usage: faultbox merge-reports REPORT.json... [--output FILE] [--junit FILE] [--html FILE]

Merges the JSON results of the shards of one run (faultbox test SPEC --shard I/N --output FILE, one
per machine, all with the same --seed) into the report one unsharded run would have written: tests in
name order, counts summed, matrix cells in order. Writes the merged JSON to --output (to stdout when no
--output is given), JUnit XML to --junit and the HTML page to --html. Every shard 1/N..N/N must be
given exactly once.

Exit codes: 0 every test passed, 2 a test failed, 3 inconclusive or not run, 1 usage error or the
files are not the shards of one run.`;

const FLAGS = { output: true, junit: true, html: true, help: false };

function readReport(file: string): ReportInput {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return { source: file, doc: JSON.parse(text) as unknown };
  } catch (e) {
    throw new UsageError(`${file} is not JSON (${(e as Error).message})`);
  }
}

export async function run(argv: string[]): Promise<number> {
  try {
    const parsed = parseArgs(argv, FLAGS);
    if (parsed.flags.help) {
      process.stdout.write(MERGE_USAGE + "\n");
      return 0;
    }
    if (parsed.positional.length === 0)
      throw new UsageError(`merge-reports needs the shards' JSON result files\n\n${MERGE_USAGE}`);
    for (const flag of ["output", "junit", "html"] as const) checkWritable(flag, parsed.flags[flag]);
    const merged = mergeReports(parsed.positional.map(readReport));
    const doc = JSON.stringify(merged, null, 2) + "\n";
    if (parsed.flags.output) writeFileSync(parsed.flags.output, doc);
    else process.stdout.write(doc);
    const suite = suiteFromDoc(merged);
    if (parsed.flags.junit) writeFileSync(parsed.flags.junit, toJUnit(suite));
    if (parsed.flags.html) writeFileSync(parsed.flags.html, htmlFromDoc(merged));
    const notRun = merged.not_run?.length ?? 0;
    process.stderr.write(
      `merged ${parsed.positional.length} report${parsed.positional.length > 1 ? "s" : ""} of ${merged.star_file}: ` +
        `${merged.pass} passed, ${merged.fail} failed` +
        (merged.inconclusive ? `, ${merged.inconclusive} inconclusive` : "") +
        (notRun ? `, ${notRun} not run` : "") +
        "\n",
    );
    return exitCode(suite);
  } catch (err) {
    if (err instanceof UsageError || err instanceof MergeError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
