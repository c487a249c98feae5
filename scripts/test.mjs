#!/usr/bin/env node
// `npm test`: runs every test/**/*.test.ts with Node's built-in test runner (through tsx).
//   --unit         only tests outside test/integration/
//   --only PATTERN only files whose path contains PATTERN
// Each test times out after FAULTBOX_TEST_TIMEOUT_MS (default 10 minutes).
// Test files run FAULTBOX_TEST_CONCURRENCY at a time (default 3; node --test alone would run one at a
// time on a 2-core machine): integration files spend most of their time waiting on real brokers and
// databases, so several share the two cores well.
//
// Integration tests share real services (Kafka, PostgreSQL) across test files through a state
// directory exported as FAULTBOX_TEST_STATE_DIR (see test/support/). This runner owns them: it stops
// every recorded service when the tests end, pass or fail, and on SIGINT/SIGTERM; if this process is
// SIGKILLed, the services' watchdogs notice its pid is gone and stop them.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const onlyIdx = args.indexOf("--only");
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

// Integration files first: they are the long ones, and the short unit files then fill the gaps at the
// end instead of a long file starting last and running alone.
const integrationFirst = (f) => (f.startsWith("test/integration/") ? 0 : 1);
let files = walk(join(root, "test"))
  .map((f) => relative(root, f))
  .sort((a, b) => integrationFirst(a) - integrationFirst(b) || (a < b ? -1 : a > b ? 1 : 0));
if (unitOnly) files = files.filter((f) => !f.startsWith("test/integration/"));
if (only) files = files.filter((f) => f.includes(only));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const stateDir = mkdtempSync(join(tmpdir(), "faultbox-test-run-"));
const env = {
  ...process.env,
  FAULTBOX_TEST_STATE_DIR: stateDir,
  FAULTBOX_TEST_OWNER_PID: String(process.pid),
};

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
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  })();
  return cleaning;
}

// A test that hangs fails after 10 minutes instead of holding the whole run (and CI) hostage.
const testTimeout = process.env.FAULTBOX_TEST_TIMEOUT_MS ?? "600000";
const concurrency = process.env.FAULTBOX_TEST_CONCURRENCY ?? "3";
if (!/^[1-9]\d*$/.test(concurrency)) {
  console.error(`FAULTBOX_TEST_CONCURRENCY must be a positive integer, got "${concurrency}"`);
  process.exit(1);
}
// The spec reporter for people; a TAP copy to a file, read at the end for the closing summary line.
const tapFile = join(tmpdir(), `faultbox-test-${process.pid}.tap`);
const nodeArgs = [
  "--import",
  "tsx",
  "--test",
  "--test-reporter=spec",
  "--test-reporter-destination=stdout",
  "--test-reporter=tap",
  `--test-reporter-destination=${tapFile}`,
  `--test-timeout=${testTimeout}`,
  `--test-concurrency=${concurrency}`,
];

/** Prints "N passed, N failed, N skipped" from the TAP totals, as the run's last line. */
function printSummary() {
  let tap = "";
  try {
    tap = readFileSync(tapFile, "utf8");
  } catch {
    return;
  } finally {
    rmSync(tapFile, { force: true });
  }
  const total = (name) => {
    const all = [...tap.matchAll(new RegExp(`^# ${name} (\\d+)$`, "gm"))];
    return Number(all.at(-1)?.[1] ?? 0);
  };
  const failed = total("fail") + total("cancelled");
  console.log(`\n${total("pass")} passed, ${failed} failed, ${total("skipped")} skipped`);
}
const child = spawn(process.execPath, [...nodeArgs, ...files], {
  cwd: root,
  stdio: "inherit",
  env,
});
let signalled = 0;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    signalled++;
    child.kill(sig);
    // A second signal: stop waiting for the tests.
    if (signalled > 1) cleanUp().then(() => process.exit(130));
  });
}
child.on("exit", async (code, signal) => {
  await cleanUp();
  printSummary();
  process.exit(code ?? (signal ? 1 : 0));
});
