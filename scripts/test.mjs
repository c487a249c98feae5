#!/usr/bin/env node
// `npm test`: runs every test/**/*.test.ts with Node's built-in test runner (through tsx).
//   --unit                only tests outside test/integration/
//   --only PATTERN        only files whose path contains PATTERN (repeat it for several)
//   --name REGEX          only tests whose name matches REGEX (node --test-name-pattern; repeat it)
//   --unit-also-on NODE   also run the unit files (those outside test/integration/) under the Node
//                         binary NODE, in the light lane after its own files (repeat it for several;
//                         CI gives Node 22 and 24 here)
// Each test times out after FAULTBOX_TEST_TIMEOUT_MS (default 10 minutes).
//
// Up to three tracks run side by side, each a `node --test` process at a time:
// - heavy: the integration files that start Kafka JVMs (single brokers, 3-node clusters, a fresh broker
//   per test in specs) or run the Java client tools, ONE AT A TIME. Two of them at once on a 2-core
//   machine starved each other's JVMs (brokers and consumer groups missed their timeouts) before the
//   brokers got a class archive and the C1-only JIT; only the vetted SHARED_HEAVY files run beside one.
// - light: everything else (unit files, integration files that start no JVM: HTTP services, PostgreSQL,
//   syscall faults), several files at a time (below), then the unit files again under each
//   --unit-also-on Node.
// - shared (when FAULTBOX_TEST_CONCURRENCY is 3 or more): the SHARED_HEAVY files (below), one at a
//   time, from the start.
// FAULTBOX_TEST_CONCURRENCY files run at once in all (default: the number of cores + 2, 4 on a 2-core
// machine): one heavy, one shared heavy, and the rest light (FAULTBOX_TEST_CONCURRENCY - 1 light files
// when it is 2; all of them when there is no heavy file, as with --unit).
// The SHARED_HEAVY files also form a common queue: a track whose own files are done takes the next of
// them (the light track as many at a time as it ran light files), so the tracks end at about the same
// time instead of leaving a core idle.
// FAULTBOX_TEST_CONCURRENCY=1 runs every file one after the other.
// With both lanes, the heavy lane's output streams as it comes and each light run's is printed as one
// block when it ends. At the end: the slowest files (every file's time goes to
// test-artifacts/test-file-times.tsv), each track's wall time, then "N passed, N failed,
// N skipped" (every run added up) as the last line.
//
// Integration tests share real services (Kafka, PostgreSQL) across test files through a state
// directory exported as FAULTBOX_TEST_STATE_DIR (see test/support/). This runner owns them: it stops
// every recorded service when the tests end, pass or fail, and on SIGINT/SIGTERM; if this process is
// SIGKILLed, the services' watchdogs notice its pid is gone and stop them. Then it stops any other
// process of the run still running (every process a test starts inherits FAULTBOX_TEST_STATE_DIR):
// after a normal end, one a test leaked, which it names; after SIGINT/SIGTERM, the children the test
// files had started (a `faultbox test` and its brokers), orphaned when their test file died.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const valuesOf = (flag) =>
  args.flatMap((arg, i) => (arg === flag && i + 1 < args.length ? [args[i + 1]] : []));
const only = valuesOf("--only");
const otherNodes = valuesOf("--unit-also-on");
const namePatterns = valuesOf("--name");

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

let files = walk(join(root, "test"))
  .map((f) => relative(root, f))
  .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
if (unitOnly) files = files.filter((f) => !f.startsWith("test/integration/"));
if (only.length > 0) files = files.filter((f) => only.some((pattern) => f.includes(pattern)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const stateDir = mkdtempSync(join(tmpdir(), "faultbox-test-run-"));
// Tests run failing specs from the checkout; their default bundles go to a folder of this run under
// test-artifacts/bundles, not into ./.faultbox, all of them kept (a failing test's bundle is there to
// replay after the run, not pruned by the many specs that fail on purpose). Removed when every test
// passed.
const runBundles = process.env.FAULTBOX_BUNDLE_DIR
  ? undefined
  : join(
      root,
      "test-artifacts",
      "bundles",
      `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`,
    );
const env = {
  ...process.env,
  FAULTBOX_TEST_STATE_DIR: stateDir,
  FAULTBOX_TEST_OWNER_PID: String(process.pid),
  FAULTBOX_BUNDLE_DIR: process.env.FAULTBOX_BUNDLE_DIR || runBundles,
  FAULTBOX_KEEP_BUNDLES: process.env.FAULTBOX_KEEP_BUNDLES || "100000",
};

/**
 * After the shared services stopped: ends whatever else of this run is still running (SIGTERM, then
 * SIGKILL after 10 s) and says so. After a normal end that is a test that leaked a process; after
 * Ctrl-C or SIGTERM, the processes the test files had started.
 */
async function stopLeftovers() {
  if (!existsSync("/proc")) return; // not Linux: nothing to look at
  // Every process a test started inherits FAULTBOX_TEST_STATE_DIR, and keeps it when its parent dies
  // (a `faultbox test` a test file had just started when the runner was killed, and its brokers).
  const { processesWithEnv } = await import(
    pathToFileURL(join(root, "test", "support", "processes.ts")).href
  );
  const ofThisRun = () => processesWithEnv("FAULTBOX_TEST_STATE_DIR", stateDir);
  const signal = (procs, sig) => {
    for (const p of procs) {
      try {
        process.kill(p.pid, sig);
      } catch {
        // already gone
      }
    }
  };
  const left = ofThisRun();
  if (left.length === 0) return;
  const list = left.map((p) => `${p.pid} ${p.cmdline.slice(0, 160)}`).join("\n  ");
  console.error(
    `faultbox test runner: ${left.length} process(es) of this run still running${signalled > 0 ? " after the interrupt" : " after every test file ended (a test leaked them)"}; stopping them:\n  ${list}`,
  );
  signal(left, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && ofThisRun().length > 0)
    await new Promise((resolve) => setTimeout(resolve, 200));
  signal(ofThisRun(), "SIGKILL");
}

let cleaning;
function cleanUp() {
  cleaning ??= (async () => {
    try {
      const { register } = await import("tsx/esm/api");
      register();
      const shared = await import(pathToFileURL(join(root, "test", "support", "shared-services.ts")).href);
      await shared.stopRecordedServices(stateDir);
    } catch (err) {
      console.error(`faultbox test runner: stopping the shared services failed: ${err?.stack ?? err}`);
    }
    try {
      await stopLeftovers();
    } catch (err) {
      console.error(
        `faultbox test runner: looking for processes the tests left failed: ${err?.stack ?? err}`,
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  })();
  return cleaning;
}

// Integration files that start no JVM (no Kafka broker, no Java tool): HTTP services, PostgreSQL,
// syscall faults. They run in the light lane. Every other integration file is heavy, so a new one is
// kept apart from the others until someone checks it belongs here.
const LIGHT_INTEGRATION = new Set(
  [
    "foundation/postgres",
    "runtime/actions",
    "runtime/daemons",
    "runtime/failing",
    "runtime/http-basic",
    "runtime/interrupt",
    "runtime/parity",
    "runtime/postgres",
    "runtime/syscall",
    "syscall/fault-keywords",
    "syscall/postgres",
    "syscall/spec",
  ].map((name) => `test/integration/${name}.test.ts`),
);
const isHeavy = (f) => f.startsWith("test/integration/") && !LIGHT_INTEGRATION.has(f);

// Heavy files that may run beside another heavy file: they bind no fixed port (their brokers, proxies
// and services listen on free ports) and use the shared brokers only through topics and groups of their
// own, never stopping, pausing or reconfiguring them. The shared track runs them, and a lane that has
// finished its own files takes the next one (longest first, by their times in CI), so the tracks end
// at about the same time. A file that restarts or pauses the shared brokers, times a failure tightly,
// or binds a fixed port does not belong here, unless it holds the port's lock while it binds it
// (withPortLock in test/support/shared-services.ts: the seed specs and goldens run integrity.star, whose
// PostgreSQL listens on 25432, under it); killing brokers of a cluster of its own is fine. Vetted file
// by file on 2026-12-07; left out on purpose: kafka-proxy/blackhole and history/consumers (a 6 s group
// session whose exact outcome they assert), runtime/lanes (a 5 s assert_eventually beside two brokers
// of its own), containers/podman (the host's CNI bridge, shared with containers/actions).
const SHARED_HEAVY = [
  "kafka-cluster/cluster",
  "kafka-proxy/duplicate-in-transaction",
  "orders/spec",
  "golden/seed-goldens",
  "seed/seed-specs",
  "history/example",
  "orders/orders",
  "kafka-cluster/controller",
  "kafka-proxy/held-and-throttled",
  "history/unclean-election",
  "kafka-sasl/sasl",
  "kafka-proxy/transparency",
  "kafka-proxy/rules",
  "kafka-proxy/new-versions",
  "orders/proxy-faults",
  "kafka-proxy/lost-response",
  "history/leader-isolation",
  "package/npm-pack",
  "kafka-proxy/faults",
  "kafka-proxy/cluster-and-transactions",
  "kafka-spec/actions",
  "kafka-broker/interop",
  "kafka-proxy/compression",
  "foundation/kafka",
  "foundation/kafka-cds",
].map((name) => `test/integration/${name}.test.ts`);

// A test that hangs fails after 10 minutes instead of holding the whole run (and CI) hostage.
const testTimeout = process.env.FAULTBOX_TEST_TIMEOUT_MS ?? "600000";
// Default: two more files than there are cores. Most of a Kafka test's time is waiting (for timeouts,
// consumer groups, elections): on a 2-core machine (vmstat, 2026-12-07) two files at a time left the
// CPU idle 39% of a CI run, three 22% of `npm test`, four 15% (with the light lane taking two shared
// heavy files at a time; 25% when it took one).
const concurrencyText = process.env.FAULTBOX_TEST_CONCURRENCY ?? String(availableParallelism() + 2);
if (!/^[1-9]\d*$/.test(concurrencyText)) {
  console.error(`FAULTBOX_TEST_CONCURRENCY must be a positive integer, got "${concurrencyText}"`);
  process.exit(1);
}
const concurrency = Number(concurrencyText);
let heavy = files.filter(isHeavy);
const light = files.filter((f) => !isHeavy(f));
const unitFiles = light.filter((f) => !f.startsWith("test/integration/"));
const twoLanes = concurrency > 1 && heavy.length > 0 && light.length > 0;
// The common queue of SHARED_HEAVY files (with two lanes only); each lane's last run takes from it.
const sharedQueue = twoLanes ? SHARED_HEAVY.filter((f) => heavy.includes(f)) : [];
heavy = heavy.filter((f) => !sharedQueue.includes(f));
const fromSharedQueue = { name: "shared heavy", files: [], queue: sharedQueue };
// With three files or more at a time, a third track starts on the shared heavy files at once.
const sharedTrack = twoLanes && concurrency > 2 && sharedQueue.length > 0;
const lightConcurrency = twoLanes ? concurrency - (sharedTrack ? 2 : 1) : heavy.length > 0 ? 1 : concurrency;
/**
 * Runs, each a `node --test` process. Runs in one track follow each other; the two tracks (heavy,
 * light) run side by side. A run with a `queue` is a placeholder: the track runs the queue's files, each
 * a run of its own, until the queue is empty.
 * @typedef {{name: string, files: string[], concurrency?: number, node?: string, queue?: string[]}} Run
 * @type {Run[][]}
 */
const tracks = [];
const versionOf = (node) => {
  try {
    return execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  } catch (err) {
    console.error(`--unit-also-on ${node}: not a Node binary that runs (${err.message})`);
    process.exit(1);
  }
};
const otherNodeRuns = (unitFiles.length > 0 ? otherNodes : []).map((node) => ({
  name: `unit on Node ${versionOf(node)}`,
  files: unitFiles,
  concurrency: lightConcurrency,
  node,
}));
if (twoLanes)
  tracks.push(
    [
      ...(heavy.length > 0 ? [{ name: "heavy", files: heavy, concurrency: 1, node: process.execPath }] : []),
      fromSharedQueue,
    ],
    [
      { name: "light", files: light, concurrency: lightConcurrency, node: process.execPath },
      ...otherNodeRuns,
      { ...fromSharedQueue, pullers: lightConcurrency },
    ],
    ...(sharedTrack ? [[fromSharedQueue]] : []),
  );
else
  tracks.push([
    { name: "all", files: [...heavy, ...light], concurrency: lightConcurrency, node: process.execPath },
    ...otherNodeRuns,
  ]);
// Every run that is or was a `node --test` process (a shared heavy file's run is added when it starts).
const runs = tracks.flat().filter((run) => !run.queue);
const startedAt = Date.now();

const reporterDir = mkdtempSync(join(tmpdir(), "faultbox-test-reports-"));
const totalsReporter = pathToFileURL(join(root, "scripts", "test-totals.mjs")).href;

/** Starts one run's `node --test`; `onLine` gets its stdout line by line, or it inherits stdout. */
function startRun(lane, onLine) {
  // The spec reporter for people; the totals and per-file durations to a file, read at the end.
  lane.totalsFile = join(reporterDir, `${runs.indexOf(lane)}.json`);
  const nodeArgs = [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    `--test-reporter=${totalsReporter}`,
    `--test-reporter-destination=${lane.totalsFile}`,
    `--test-timeout=${testTimeout}`,
    `--test-concurrency=${lane.concurrency}`,
    ...namePatterns.map((p) => `--test-name-pattern=${p}`),
  ];
  lane.child = spawn(lane.node, [...nodeArgs, ...lane.files], {
    cwd: root,
    stdio: ["inherit", onLine ? "pipe" : "inherit", "inherit"],
    env,
  });
  if (onLine) {
    let pending = "";
    lane.child.stdout.setEncoding("utf8");
    lane.child.stdout.on("data", (chunk) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop();
      for (const line of lines) onLine(line);
    });
    lane.child.stdout.on("end", () => pending && onLine(pending));
  }
  lane.done = new Promise((resolve) =>
    lane.child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0))),
  );
}

/** The slowest files, then "N passed, N failed, N skipped" over all lanes as the last line. */
function printSummary() {
  const totals = { pass: 0, fail: 0, cancelled: 0, skipped: 0 };
  const perFile = {};
  for (const lane of runs) {
    let report;
    try {
      report = JSON.parse(readFileSync(lane.totalsFile, "utf8"));
    } catch {
      continue; // the lane was stopped before it wrote its totals
    }
    for (const name of Object.keys(totals)) totals[name] += report.totals[name] ?? 0;
    for (const [file, ms] of Object.entries(report.files))
      perFile[`${runs.length > 1 ? `${lane.name}: ` : ""}${relative(root, file)}`] = ms;
  }
  const byTime = Object.entries(perFile).sort((a, b) => b[1] - a[1]);
  // Every file's time, for whoever balances the lanes: test-artifacts/test-file-times.tsv.
  try {
    mkdirSync(join(root, "test-artifacts"), { recursive: true });
    const rows = byTime.map(([file, ms]) => `${(ms / 1000).toFixed(1)}\t${file}`);
    writeFileSync(join(root, "test-artifacts", "test-file-times.tsv"), `seconds\tfile\n${rows.join("\n")}\n`);
  } catch {
    // a read-only checkout: the printed list below is all there is
  }
  const slowest = byTime.slice(0, 15);
  if (slowest.length > 0) {
    const how = [...new Set(runs.map((l) => `${l.name}: ${l.concurrency} file(s) at a time`))].join(", ");
    console.log(`\nslowest test files (their tests' durations added up; ${how}):`);
    for (const [file, ms] of slowest) console.log(`${(ms / 1000).toFixed(1).padStart(8)} s  ${file}`);
  }
  // Where the wall time went: each track's runs, and when the track ended (the longest track is the run).
  const secs = (ms) => `${(ms / 1000).toFixed(0)} s`;
  const timed = tracks.filter((track) => track.some((run) => run.endedAt));
  if (timed.length > 0) {
    console.log(
      "\nwall time per track (each run's own time; the track ends after its runs, one after another):",
    );
    for (const track of timed) {
      const ended = track.filter((run) => run.endedAt);
      const parts = ended.map((run) => `${run.name} ${secs(run.endedAt - run.startedAt)}`).join(", ");
      const end = Math.max(...ended.map((run) => run.endedAt));
      console.log(`  ${secs(end - startedAt).padStart(7)}  ${parts}`);
    }
  }
  const failed = totals.fail + totals.cancelled;
  console.log(`\n${totals.pass} passed, ${failed} failed, ${totals.skipped} skipped`);
}

/** Runs a track's runs one after the other; the exit codes. */
async function runTrack(label, track, onLine) {
  const codes = [];
  // A queue placeholder is replaced by the runs it started, in the order they started.
  for (const placeholder of [...track]) {
    if (signalled > 0) break;
    if (!placeholder.queue) {
      codes.push(await runOne(placeholder, track, onLine));
      continue;
    }
    const at = track.indexOf(placeholder);
    track.splice(at, 1);
    const started = [];
    // `pullers` runs at a time (the light track's own concurrency), each taking the next queued file.
    const pull = async () => {
      while (signalled === 0) {
        const file = placeholder.queue.shift();
        if (file === undefined) return;
        const name = label === "shared" ? "shared heavy" : `${label} (shared)`;
        const run = { name, files: [file], concurrency: 1, node: process.execPath };
        started.push(run);
        track.splice(at + started.length - 1, 0, run);
        runs.push(run);
        codes.push(await runOne(run, track, onLine));
      }
    };
    await Promise.all(Array.from({ length: placeholder.pullers ?? 1 }, pull));
  }
  return codes;
}

/** One `node --test` run of a track; its exit code. */
async function runOne(run, track, onLine) {
  const lines = [];
  if (!onLine && track.length > 1) console.log(`\n== ${run.name} (${run.files.length} files)`);
  run.startedAt = Date.now();
  startRun(run, onLine === "block" ? (line) => lines.push(line) : onLine);
  const code = await run.done;
  run.endedAt = Date.now();
  // The heavy lane's output goes out a whole line at a time, so a light run's output, kept in
  // memory, can go out as one block when it ends without cutting a heavy line in half.
  if (onLine === "block")
    process.stdout.write(`\n== ${run.name} (${run.files.length} files) ended:\n${lines.join("\n")}\n\n`);
  return code;
}
let signalled = 0;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    signalled++;
    for (const run of runs) run.child?.kill(sig);
    // A second signal: stop waiting for the tests.
    if (signalled > 1) cleanUp().then(() => process.exit(130));
  });
}
const codes = (
  await Promise.all(
    tracks.length === 1
      ? [runTrack("all", tracks[0])]
      : [
          runTrack("heavy", tracks[0], (line) => process.stdout.write(`${line}\n`)),
          runTrack("light", tracks[1], "block"),
          ...(tracks[2] ? [runTrack("shared", tracks[2], "block")] : []),
        ],
  )
).flat();
await cleanUp();
const failedRun = codes.some((code) => code !== 0);
if (runBundles && !failedRun) rmSync(runBundles, { recursive: true, force: true });
else if (runBundles) {
  let count = 0;
  try {
    count = readdirSync(runBundles).length;
  } catch {
    // no spec run of this run failed
  }
  if (count > 0)
    console.log(
      `\nthe bundles of this run's failing spec runs (most fail on purpose; a failed test's output names its own): ${relative(root, runBundles)} (${count})`,
    );
}
printSummary();
rmSync(reporterDir, { recursive: true, force: true });
process.exit(codes.find((code) => code !== 0) ?? 0);
