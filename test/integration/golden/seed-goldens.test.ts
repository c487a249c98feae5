// Golden normalized traces of the seed examples (examples/seed/): every spec, run 5 times with the same
// seed, must give byte-for-byte the trace checked in under test/goldens/seed/. The runs use the
// embedded broker in place of the seed's Kafka image (a copy of each spec with the image line changed,
// so CI stays fast), and publish_consume.star also runs twice on real Apache Kafka against the same
// golden: the trace does not depend on which broker stored the records. Specs whose faults restart
// the broker (service actions, which the in-process embedded broker refuses) run on real Apache Kafka
// only, twice per CI run (their goldens were made from 5 agreeing runs).
//
// A trace that changes on purpose: FAULTBOX_UPDATE_GOLDENS=1 node scripts/test.mjs --only golden
// rewrites the goldens (still only when all 5 runs agree); review the diff before committing.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../../support/run-command.js";
import { withSpecPortLocks } from "../../support/shared-services.js";
import { root } from "../seed/cli.js";

const RUNS = 5;
/** Each real-Kafka run starts a broker (about 20 s on a busy 2-core machine): fewer runs, same golden. */
const REAL_RUNS = 2;
const SEED = "20260101";
const goldenDir = join(root, "test", "goldens", "seed");
const seedDir = join(root, "examples", "seed");
const update = process.env.FAULTBOX_UPDATE_GOLDENS === "1";
const KAFKA_IMAGE = 'image = "confluentinc/cp-kafka:7.6"';
/** Specs that restart or kill the broker: the embedded broker cannot, so they run on real Kafka only. */
const REAL_KAFKA_ONLY = ["no_duplicates.star"];

/** A copy of examples/seed with the Kafka image replaced by the embedded broker (../orders kept reachable). */
function embeddedCopy(): string {
  const base = mkdtempSync(join(tmpdir(), "fb-golden-"));
  mkdirSync(join(base, "seed"));
  symlinkSync(join(root, "examples", "orders"), join(base, "orders"));
  for (const f of readdirSync(seedDir).filter((n) => n.endsWith(".star"))) {
    const text = readFileSync(join(seedDir, f), "utf8");
    assert.ok(text.includes(KAFKA_IMAGE), `${f} declares the seed's Kafka image`);
    writeFileSync(join(base, "seed", f), text.replaceAll(KAFKA_IMAGE, 'image = "faultbox/embedded-kafka"'));
  }
  return base;
}

async function traceOf(spec: string, out: string, ...flags: string[]): Promise<string> {
  // A spec that binds a fixed port (integrity.star's PostgreSQL) waits for any other test file's run of
  // one binding the same port (test/integration/seed/seed-specs.test.ts runs integrity.star too).
  const r = await withSpecPortLocks(spec, () =>
    runCommand(
      [
        process.execPath,
        join(root, "bin", "faultbox.js"),
        "test",
        spec,
        "--seed",
        SEED,
        "--normalize",
        out,
        ...flags,
      ],
      { timeoutMs: 300_000 },
    ),
  );
  assert.equal(
    r.code,
    0,
    `faultbox test ${spec} exit ${r.code}${r.timedOut ? " (timed out)" : ""}\n${r.stdout}\n${r.stderr}`,
  );
  return readFileSync(out, "utf8");
}

/** Runs `jobs` with at most `limit` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

async function diffText(a: string, b: string): Promise<string> {
  const r = await runCommand([process.execPath, join(root, "bin", "faultbox.js"), "diff", a, b]);
  return r.stdout;
}

/** All runs agree with each other and with the golden (or, when updating, become it). */
async function checkGolden(name: string, traces: string[], files: string[]): Promise<void> {
  for (let i = 1; i < traces.length; i++)
    assert.equal(
      traces[i],
      traces[0],
      `${name}: run ${i + 1} differs from run 1:\n${await diffText(files[0]!, files[i]!)}`,
    );
  const golden = join(goldenDir, `${name}.norm`);
  if (update) {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(golden, traces[0]!);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(golden, "utf8");
  } catch {
    assert.fail(`no golden ${golden}; run with FAULTBOX_UPDATE_GOLDENS=1 to create it`);
  }
  assert.equal(traces[0], expected, `${name} differs from its golden:\n${await diffText(golden, files[0]!)}`);
}

test(`every seed example gives its golden trace ${RUNS} times in a row (embedded broker)`, async () => {
  const base = embeddedCopy();
  const out = mkdtempSync(join(tmpdir(), "fb-golden-out-"));
  try {
    const specs = readdirSync(join(base, "seed"))
      .filter((n) => n.endsWith(".star") && !REAL_KAFKA_ONLY.includes(n))
      .sort();
    // The runs of one spec go one after another (a spec may fix a port, as integrity.star does for
    // PostgreSQL); different specs run side by side, since they mostly wait (delays, consume timeouts).
    const jobs = specs.map((spec) => async () => {
      const files: string[] = [];
      const traces: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        files.push(join(out, `${spec}.${i}.norm`));
        traces.push(await traceOf(join(base, "seed", spec), files[i]!));
      }
      return { spec, files, traces };
    });
    for (const r of await pool(jobs, 4)) await checkGolden(r.spec.replace(/\.star$/, ""), r.traces, r.files);
  } finally {
    rmSync(base, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

test(`publish_consume.star on real Apache Kafka gives the same golden trace ${REAL_RUNS} times, and again replayed from its bundle`, async () => {
  const out = mkdtempSync(join(tmpdir(), "fb-golden-kafka-"));
  try {
    const traces: string[] = [];
    const files: string[] = [];
    // One after another: each run starts its own local Kafka broker.
    for (let i = 0; i < REAL_RUNS; i++) {
      const file = join(out, `${i}.norm`);
      files.push(file);
      const bundle = i === 0 ? ["--bundle", join(out, "run.tar.gz")] : [];
      traces.push(await traceOf(join(seedDir, "publish_consume.star"), file, ...bundle));
    }
    // Checked against the golden the embedded runs keep (never rewritten from here).
    for (let i = 1; i < traces.length; i++)
      assert.equal(
        traces[i],
        traces[0],
        `run ${i + 1} differs from run 1:\n${await diffText(files[0]!, files[i]!)}`,
      );
    const golden = join(goldenDir, "publish_consume.norm");
    assert.equal(traces[0], readFileSync(golden, "utf8"), await diffText(golden, files[0]!));

    // The first run's bundle, replayed from the folder it unpacks to, gives the same trace.
    const replayed = join(out, "replay.norm");
    const r = await runCommand(
      [
        process.execPath,
        join(root, "bin", "faultbox.js"),
        "replay",
        join(out, "run.tar.gz"),
        "--normalize",
        replayed,
      ],
      { timeoutMs: 300_000 },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /^Verdicts: the same as the bundle's \(5 test\(s\): 5 passed, 0 failed\)$/m);
    assert.match(r.stderr, /^Normalized trace: identical to the bundle's$/m);
    assert.equal(readFileSync(replayed, "utf8"), traces[0]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test(`the seed examples that restart the broker give their golden trace ${REAL_RUNS} times on real Apache Kafka`, async () => {
  const out = mkdtempSync(join(tmpdir(), "fb-golden-restart-"));
  try {
    for (const spec of REAL_KAFKA_ONLY) {
      const files: string[] = [];
      const traces: string[] = [];
      for (let i = 0; i < REAL_RUNS; i++) {
        files.push(join(out, `${spec}.${i}.norm`));
        traces.push(await traceOf(join(seedDir, spec), files[i]!));
      }
      await checkGolden(spec.replace(/\.star$/, ""), traces, files);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
