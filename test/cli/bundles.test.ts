// Bundles end to end on the embedded broker: a failing run writes one by default; it carries the spec,
// a load()ed module, a file the spec reads and a service's program; made in one directory and replayed
// in another (the first one deleted), it gives the same verdicts and the same normalized trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readBundle } from "../../src/report/bundle.js";
import type { JsonDoc } from "../../src/report/doc.js";
import { writeTar } from "../../src/report/tar.js";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;

function faultbox(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    cwd,
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1", FAULTBOX_BUNDLE_DIR: "", FAULTBOX_KEEP_BUNDLES: "", ...env },
  });
}

/** A project directory: the spec loads a module, reads settings, runs a program of its own. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "fb-clone-a-"));
  mkdirSync(join(dir, "lib"));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin", "sleeper"), '#!/bin/sh\necho "sleeper up"\nexec sleep 300\n');
  chmodSync(join(dir, "bin", "sleeper"), 0o755);
  writeFileSync(join(dir, "lib", "orders.star"), `def order(i):\n    return '{"order_id":"o-%d"}' % i\n`);
  writeFileSync(join(dir, "settings.json"), '{"count": 3}\n');
  writeFileSync(
    join(dir, "faultbox.star"),
    `load("@faultbox/mocks/kafka.star", "kafka")
load("lib/orders.star", "order")
settings = load_json("settings.json")
bus = kafka.broker(name = "bus", observe = [topic("orders")])
sleeper = service("sleeper", "./bin/sleeper", observe = [stdout()])
loss = fault_assumption("loss", target = bus.broker, rules = [drop(topic = "orders", key = "o-1")])

def send():
    for i in range(settings["count"]):
        bus.broker.publish(topic = "orders", key = "o-%d" % i, data = order(i))

def all_stored(r):
    assert_eq(len(events(where = lambda e: e.type == "topic")), settings["count"], "every order stored")

fault_scenario("all_stored", scenario = send, faults = loss, expect = all_stored)

def test_no_fault():
    send()
    all_stored(None)
`,
  );
  return dir;
}

test("a failing run's bundle, replayed in another directory, gives the same verdicts and normalized trace", () => {
  const a = project();
  const run = faultbox(["test", "faultbox.star", "--seed", "9", "--normalize", "a.norm"], a);
  assert.equal(run.status, 2, run.stdout + run.stderr);
  const shown = /^Bundle: (\.faultbox\/bundles\/run-\d{8}-\d{6}-9\.tar\.gz)$/m.exec(run.stderr)?.[1];
  assert.ok(shown, `the bundle's path is printed:\n${run.stderr}`);
  assert.match(
    run.stderr,
    new RegExp(`^Replay: faultbox replay ${shown.replace(/\./g, "\\.")} --test all_stored$`, "m"),
  );
  const original = readFileSync(join(a, "a.norm"), "utf8");

  const bundle = readBundle(join(a, shown));
  assert.deepEqual(
    bundle.manifest.files.map((f) => [f.path, f.why]),
    [
      ["spec/faultbox.star", "the spec"],
      ["spec/lib/orders.star", "loaded or read by the spec"],
      ["spec/settings.json", "loaded or read by the spec"],
      ["spec/bin/sleeper", 'program of service "sleeper"'],
    ],
  );
  assert.equal(bundle.manifest.seed, "9");
  assert.equal(bundle.normalized, original, "the bundle carries the run's normalized trace");
  assert.equal(bundle.env.node, process.version);
  assert.deepEqual(bundle.env.images, [{ service: "bus", image: "faultbox/embedded-kafka" }]);

  // Elsewhere, with the first directory gone.
  const b = mkdtempSync(join(tmpdir(), "fb-clone-b-"));
  renameSync(join(a, shown), join(b, "failure.tar.gz"));
  rmSync(a, { recursive: true, force: true });
  const replay = faultbox(["replay", "failure.tar.gz", "--normalize", "b.norm", "--output", "b.json"], b);
  assert.equal(replay.status, 2, replay.stdout + replay.stderr);
  assert.match(replay.stderr, /^Verdicts: the same as the bundle's \(2 test\(s\): 1 passed, 1 failed\)$/m);
  assert.match(replay.stderr, /^Normalized trace: identical to the bundle's$/m);
  assert.equal(readFileSync(join(b, "b.norm"), "utf8"), original);
  const replayed = JSON.parse(readFileSync(join(b, "b.json"), "utf8")) as JsonDoc;
  const started = replayed.tests[0]!.events!.filter((e) => e.type === "stdout" && e.service === "sleeper");
  assert.deepEqual(
    started.map((e) => e.data),
    [{ raw: "sleeper up" }],
    "the service's program came with the bundle",
  );
  assert.equal(faultbox(["diff", "failure.tar.gz", "b.norm"], b).status, 0);
  assert.equal(readdirSync(b).includes(".faultbox"), false, "a replay writes no bundle of its own");

  // --test narrows the replay; the unpacked bundle's replay.sh runs it too.
  const one = faultbox(["replay", "failure.tar.gz", "--test", "no_fault"], b);
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stderr, /^Verdicts: the same as the bundle's \(1 test\(s\): 1 passed, 0 failed\)$/m);
  assert.equal(spawnSync("tar", ["xzf", "failure.tar.gz"], { cwd: b }).status, 0);
  const sh = spawnSync("sh", ["faultbox-bundle/replay.sh", "--no-bundle"], {
    cwd: b,
    encoding: "utf8",
    env: { ...process.env, FAULTBOX: `${process.execPath} ${bin}` },
  });
  assert.equal(sh.status, 2, sh.stdout + sh.stderr);
  assert.match(sh.stdout, /^Seed: 9 \(cli\)$/m);
});

test("a replay that does not reproduce the bundle's verdicts says which test changed", () => {
  const a = project();
  assert.equal(faultbox(["test", "faultbox.star", "--seed", "3", "--bundle", "x.tar.gz"], a).status, 2);
  // The same bundle, but claiming the failing test passed back then.
  const bundle = readBundle(join(a, "x.tar.gz"));
  const entries = bundle.entries.map((e) =>
    e.path === "faultbox-bundle/result.json"
      ? { ...e, data: Buffer.from(e.data.toString().replace('"result": "fail"', '"result": "pass"')) }
      : e,
  );
  writeFileSync(join(a, "y.tar.gz"), gzipSync(writeTar(entries)));
  const replay = faultbox(["replay", "y.tar.gz"], a);
  assert.equal(replay.status, 2);
  assert.match(
    replay.stderr,
    /^Verdicts differ from the bundle's:\n {2}test_all_stored: pass then, fail now$/m,
  );
});

test("--bundle FILE writes one for a passing run; --no-bundle writes none; FAULTBOX_BUNDLE_DIR moves the default", () => {
  const a = project();
  assert.equal(
    faultbox(["test", "faultbox.star", "--test", "no_fault", "--bundle", "ok.tar.gz"], a).status,
    0,
  );
  assert.deepEqual(
    readBundle(join(a, "ok.tar.gz")).manifest.tests.map((t) => [t.name, t.result]),
    [["test_no_fault", "pass"]],
  );
  assert.equal(readBundle(join(a, "ok.tar.gz")).manifest.options.test, "no_fault");
  assert.equal(faultbox(["test", "faultbox.star", "--no-bundle"], a).status, 2);
  assert.equal(existsSync(join(a, ".faultbox")), false);
  const elsewhere = mkdtempSync(join(tmpdir(), "fb-bundles-"));
  const moved = faultbox(["test", "faultbox.star"], a, { FAULTBOX_BUNDLE_DIR: elsewhere });
  assert.equal(moved.status, 2);
  assert.equal(readdirSync(elsewhere).length, 1);
  assert.ok(moved.stderr.includes(`Bundle: ${join(elsewhere, readdirSync(elsewhere)[0]!)}`), moved.stderr);
  // FAULTBOX_KEEP_BUNDLES: how many the default folder keeps (the newest); a bad value stops the run.
  for (let i = 0; i < 2; i++)
    assert.equal(
      faultbox(["test", "faultbox.star"], a, { FAULTBOX_BUNDLE_DIR: elsewhere, FAULTBOX_KEEP_BUNDLES: "2" })
        .status,
      2,
    );
  assert.equal(readdirSync(elsewhere).length, 2);
  for (const bad of ["0", "two", "-1", "1.5"]) {
    const r = faultbox(["test", "faultbox.star"], a, {
      FAULTBOX_BUNDLE_DIR: elsewhere,
      FAULTBOX_KEEP_BUNDLES: bad,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      r.stderr,
      `error: FAULTBOX_KEEP_BUNDLES must be a positive integer (how many bundles the default folder keeps), got "${bad}"\n`,
    );
  }
  assert.equal(readdirSync(elsewhere).length, 2, "no run, no bundle");

  writeFileSync(join(a, "junk.tar.gz"), "not a bundle");
  const junk = faultbox(["replay", "junk.tar.gz"], a);
  assert.equal(junk.status, 1);
  assert.match(junk.stderr, /^error: junk\.tar\.gz is not a faultbox bundle: /m);
  assert.match(faultbox(["replay"], a).stderr, /faultbox replay takes one bundle file, got 0/);
  const help = faultbox(["replay", "--help"], a);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: faultbox replay BUNDLE /);
  // Every flag replay takes is in its help (and -h says the same).
  for (const flag of [
    "--test NAME",
    "--dir DIR",
    "--format json",
    "--output FILE",
    "--junit FILE",
    "--html FILE",
    "--normalize FILE",
    "--verbose",
  ])
    assert.ok(help.stdout.includes(flag), `replay --help documents ${flag}`);
  assert.equal(faultbox(["replay", "-h"], a).stdout, help.stdout);
});
