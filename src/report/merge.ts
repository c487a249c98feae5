// `faultbox merge-reports`: the JSON results of the shards of one run (`faultbox test --shard I/N
// --output FILE` on N machines) put back together as the document one unsharded run would have written:
// the tests in the order every run uses (by name), the counts summed, the matrix cells in test order.
// The merged document is what the HTML and JUnit reports are then made from, so the three agree.
import type { Event } from "../core/events.js";
import type { SuiteResult, TestResult, Verdict } from "../core/results.js";
import type { JsonDoc, JsonTest } from "./html.js";

export class MergeError extends Error {}

/** One input: where it came from (named in errors) and its parsed contents. */
export interface ReportInput {
  source: string;
  doc: unknown;
}

interface ShardInfo {
  index: number;
  count: number;
  selected: number;
}
type ShardDoc = Omit<JsonDoc, "matrix"> & {
  version?: number;
  shard?: ShardInfo;
  matrix?: NonNullable<JsonDoc["matrix"]> & { total?: number; passed?: number; failed?: number };
};

function isResultDoc(v: unknown): v is ShardDoc {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as JsonDoc).star_file === "string" &&
    typeof (v as JsonDoc).seed === "string" &&
    Array.isArray((v as JsonDoc).tests)
  );
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** The engine's name for a matrix cell's test (core/builder.ts), the key that orders cells. */
const cellTest = (c: { scenario: string; fault: string }) => `test_matrix_${c.scenario}_${c.fault}`;
const EMPTY_SHARD = /^shard \d+\/\d+ has no tests: /;

/** Checks that the inputs are the shards of one run, complete and disjoint; the message says which do not fit. */
function checkShards(inputs: { source: string; doc: ShardDoc }[]): void {
  const [first, ...rest] = inputs;
  if (!first) throw new MergeError("merge-reports needs at least one JSON result file");
  for (const { source, doc } of rest) {
    if (doc.star_file !== first.doc.star_file)
      throw new MergeError(
        `${source} is a result of ${doc.star_file}, ${first.source} of ${first.doc.star_file}: merge the shards of one spec`,
      );
    if (doc.seed !== first.doc.seed)
      throw new MergeError(
        `${source} ran with seed ${doc.seed}, ${first.source} with seed ${first.doc.seed}: run every shard with the same --seed`,
      );
  }
  const sharded = inputs.filter((i) => i.doc.shard);
  if (sharded.length === 0) return; // separate runs (e.g. --test filters) are merged as they are
  if (sharded.length !== inputs.length) {
    const plain = inputs.find((i) => !i.doc.shard)!;
    throw new MergeError(
      `${plain.source} was not run with --shard but ${sharded[0]!.source} was: merge the shards of one run`,
    );
  }
  const count = first.doc.shard!.count;
  const seen = new Map<number, string>();
  for (const { source, doc } of inputs) {
    const s = doc.shard!;
    if (s.count !== count || s.selected !== first.doc.shard!.selected)
      throw new MergeError(
        `${source} is shard ${s.index}/${s.count} of ${s.selected} tests, ${first.source} is shard ${first.doc.shard!.index}/${count} of ${first.doc.shard!.selected}: run every shard with the same N and --test filter`,
      );
    const twice = seen.get(s.index);
    if (twice) throw new MergeError(`shard ${s.index}/${count} is given twice: ${twice} and ${source}`);
    seen.set(s.index, source);
  }
  const missing = [...Array(count).keys()].map((i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length)
    throw new MergeError(
      `missing shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")}: every shard's JSON result is needed`,
    );
}

/** Merges the JSON results of the shards of one run into the document of the whole run. */
export function mergeReports(inputs: ReportInput[]): ShardDoc {
  const docs = inputs.map(({ source, doc }) => {
    if (!isResultDoc(doc))
      throw new MergeError(
        `${source} is not a faultbox JSON result (write one with faultbox test --output FILE or --format json)`,
      );
    return { source, doc };
  });
  checkShards(docs);
  const first = docs[0]!.doc;
  const owner = new Map<string, string>();
  const tests: JsonTest[] = [];
  const notRun: string[] = [];
  const warnings: string[] = [];
  for (const { source, doc } of docs) {
    for (const name of [...doc.tests.map((t) => t.name), ...(doc.not_run ?? [])]) {
      const other = owner.get(name);
      if (other)
        throw new MergeError(`test ${name} is in both ${other} and ${source}: shards must not overlap`);
      owner.set(name, source);
    }
    tests.push(...doc.tests);
    notRun.push(...(doc.not_run ?? []));
    for (const w of doc.warnings ?? []) if (!EMPTY_SHARD.test(w) && !warnings.includes(w)) warnings.push(w);
  }
  const shard = first.shard;
  if (shard && owner.size !== shard.selected)
    throw new MergeError(
      `the shards hold ${owner.size} tests but ${shard.selected} were selected: were they run on the same spec version?`,
    );
  tests.sort((a, b) => byName(a.name, b.name));
  notRun.sort(byName);
  const sum = (f: (d: ShardDoc) => number | undefined) => docs.reduce((n, { doc }) => n + (f(doc) ?? 0), 0);
  const inconclusive = sum((d) => d.inconclusive);
  const matrixDocs = docs.map(({ doc }) => doc.matrix).filter((m) => m !== undefined);
  const cells = matrixDocs.flatMap((m) => m.cells).sort((a, b) => byName(cellTest(a), cellTest(b)));
  const m = matrixDocs[0];
  return {
    ...(first.version !== undefined ? { version: first.version } : {}),
    star_file: first.star_file,
    seed: first.seed,
    // The shards ran side by side: the whole run took as long as its slowest shard.
    duration_ms: Math.max(...docs.map(({ doc }) => doc.duration_ms)),
    pass: sum((d) => d.pass),
    fail: sum((d) => d.fail),
    ...(inconclusive ? { inconclusive } : {}),
    ...(notRun.length ? { not_run: notRun } : {}),
    ...(warnings.length ? { warnings } : {}),
    tests,
    ...(m
      ? {
          matrix: {
            scenarios: m.scenarios,
            faults: m.faults,
            cells,
            ...(m.excluded?.length ? { excluded: m.excluded } : {}),
            total: cells.length,
            passed: cells.filter((c) => c.passed).length,
            failed: cells.filter((c) => !c.passed).length,
          },
        }
      : {}),
  };
}

function eventFromDoc(e: NonNullable<JsonTest["events"]>[number]): Event {
  return { seq: e.seq, time: e.timestamp, type: e.type, service: e.service ?? "", data: e.data ?? {} };
}

function testFromDoc(t: JsonTest): TestResult {
  return {
    name: t.name,
    result: t.result as Verdict,
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
    ...(t.failure_type ? { failureType: t.failure_type as TestResult["failureType"] } : {}),
    ...(t.location ? { location: t.location } : {}),
    seed: t.seed,
    durationMs: t.duration_ms,
    assertions: t.assertions,
    warnings: (t.diagnostics ?? []).filter((d) => d.code !== "TEST_NO_ASSERTIONS").map((d) => d.message),
    events: (t.events ?? []).map(eventFromDoc),
    faults: t.faults ?? [],
    ...(t.service_output ? { serviceOutput: t.service_output } : {}),
    ...(t.runs ? { runs: t.runs } : {}),
  };
}

/** A merged document as the suite result the JUnit writer takes (the fields JUnit reports). */
export function suiteFromDoc(doc: JsonDoc): SuiteResult {
  return {
    file: doc.star_file,
    seed: doc.seed,
    durationMs: doc.duration_ms,
    pass: doc.pass,
    fail: doc.fail,
    inconclusive: doc.inconclusive ?? 0,
    tests: doc.tests.map(testFromDoc),
    warnings: doc.warnings ?? [],
    notRun: doc.not_run ?? [],
  };
}
