// Class data sharing for the local Kafka JVMs (src/launch/kafka-local/cds.ts), with a fake install and a
// fake `java` that records how it was called: which start trains, what the archive is built from, what
// a failed build leaves, and that nothing is tried when it is turned off. The real JVM and a real
// archive: test/integration/foundation/kafka-cds.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cdsArchiveFlags, planCds } from "../../src/launch/kafka-local/cds.js";
import { kafkaRelease } from "../../src/launch/kafka-local/versions.js";
import type { KafkaInstall } from "../../src/launch/kafka-local/resolve.js";

/** A fake java: `-Xshare:dump` copies the class list it is given to the archive path, or exits $FAKE_JAVA_EXIT. */
const FAKE_JAVA = `#!/bin/sh
list=""; archive=""
for a in "$@"; do
  case "$a" in
    -XX:SharedClassListFile=*) list="\${a#*=}" ;;
    -XX:SharedArchiveFile=*) archive="\${a#*=}" ;;
  esac
done
echo "fake dump of $list" >&2
if [ -n "$FAKE_JAVA_SLEEP" ]; then exec sleep "$FAKE_JAVA_SLEEP"; fi
if [ -n "$FAKE_JAVA_EXIT" ]; then exit "$FAKE_JAVA_EXIT"; fi
cp "$list" "$archive"
`;

function fakeInstall(): { install: KafkaInstall; home: string; cdsDir: string } {
  const home = mkdtempSync(join(tmpdir(), "fb-cds-"));
  const libDir = join(home, "lib");
  mkdirSync(libDir);
  writeFileSync(join(libDir, "a.jar"), "a");
  writeFileSync(join(libDir, "b.jar"), "bb");
  const java = join(home, "java");
  writeFileSync(java, FAKE_JAVA);
  chmodSync(java, 0o755);
  const install: KafkaInstall = {
    release: kafkaRelease("4"),
    version: "4.1.1",
    libDir,
    classpath: join(libDir, "*"),
    brokerLogConfig: join(home, "broker.properties"),
    toolLogConfig: join(home, "tools.properties"),
    java: { path: java, major: 17 },
  };
  return { install, home, cdsDir: join(home, "cds") };
}

const classes = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}/C${i} id: ${i}`);
const flagValue = (flags: string[], name: string) =>
  flags.find((f) => f.startsWith(`-XX:${name}=`))?.slice(name.length + 5);

test("the first start trains on its first node, builds the archive once, and later starts map it", async () => {
  const { install, home, cdsDir } = fakeInstall();
  try {
    assert.deepEqual(cdsArchiveFlags(install), [], "no archive yet: tools get no flag");
    const plan = planCds(install, 1);
    assert.ok(plan.training, "no archive and no other trainer: this start trains");
    assert.equal(plan.archive, undefined);
    // Only node 1 writes class lists; the other nodes and a restart run as usual.
    const formatList = flagValue(plan.formatFlags(1), "DumpLoadedClassList");
    const brokerList = flagValue(plan.brokerFlags(1, true), "DumpLoadedClassList");
    assert.ok(formatList && brokerList && formatList !== brokerList);
    assert.deepEqual(plan.formatFlags(2), []);
    assert.deepEqual(plan.brokerFlags(2, true), []);
    assert.deepEqual(plan.brokerFlags(1, false), []);
    // A second start while this one trains neither trains nor waits.
    const other = planCds(install, 1);
    assert.equal(other.training, undefined);
    assert.deepEqual(other.brokerFlags(1, true), []);

    // The JVMs' lists: the broker's still being written (its last line incomplete), one class in both.
    writeFileSync(formatList, [...classes("f", 600), "shared/S id: 9999"].join("\n") + "\n");
    writeFileSync(
      brokerList,
      ["# a comment", "shared/S id: 9999", ...classes("b", 600), "b/Half id:"].join("\n"),
    );
    await plan.finish();

    const archive = join(
      cdsDir,
      readdirSync(cdsDir).find((f) => f.endsWith(".jsa"))!,
    );
    const built = readFileSync(archive, "utf8").trimEnd().split("\n");
    assert.deepEqual(built, [...classes("f", 600), "shared/S id: 9999", ...classes("b", 600)]);
    assert.deepEqual(
      readdirSync(cdsDir).filter((f) => !f.endsWith(".jsa")),
      [],
      "no lock, list or partial archive is left",
    );
    const later = planCds(install, 1);
    assert.equal(later.training, undefined);
    assert.equal(later.archive, archive);
    assert.deepEqual(later.brokerFlags(3, true), [`-XX:SharedArchiveFile=${archive}`]);
    assert.deepEqual(later.formatFlags(2), [`-XX:SharedArchiveFile=${archive}`]);
    assert.deepEqual(cdsArchiveFlags(install), [`-XX:SharedArchiveFile=${archive}`]);
    // The training start's own restarts map it too, once it exists.
    assert.deepEqual(plan.brokerFlags(1, false), [`-XX:SharedArchiveFile=${archive}`]);

    // Another jar in the install (a re-fetch, an upgrade): a new key, so a new archive is trained.
    writeFileSync(join(install.libDir, "c.jar"), "c");
    assert.deepEqual(cdsArchiveFlags(install), []);
    const retrain = planCds(install, 1);
    assert.ok(retrain.training);
    retrain.abandon();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("a failed archive build leaves a marker with the JVM's output and is not tried again", async () => {
  const { install, home, cdsDir } = fakeInstall();
  process.env.FAKE_JAVA_EXIT = "3";
  try {
    const plan = planCds(install, 1);
    writeFileSync(
      flagValue(plan.formatFlags(1), "DumpLoadedClassList")!,
      classes("f", 1200).join("\n") + "\n",
    );
    await plan.finish();
    const failed = readdirSync(cdsDir).filter((f) => f.endsWith(".failed"));
    assert.equal(failed.length, 1);
    const text = readFileSync(join(cdsDir, failed[0]!), "utf8");
    assert.match(text, /^java -Xshare:dump exited 3 .*remove this file to try again$/m);
    assert.match(text, /fake dump of /);
    assert.deepEqual(readdirSync(cdsDir).sort(), failed, "only the marker is left");
    const next = planCds(install, 1);
    assert.equal(next.training, undefined, "not tried again");
    assert.deepEqual(next.brokerFlags(1, true), []);
  } finally {
    delete process.env.FAKE_JAVA_EXIT;
    rmSync(home, { recursive: true, force: true });
  }
});

test("a build that runs out of time leaves no marker: the next start trains again", async () => {
  const { install, home, cdsDir } = fakeInstall();
  process.env.FAKE_JAVA_SLEEP = "30";
  try {
    const plan = planCds(install, 1, process.env, true, 300);
    writeFileSync(
      flagValue(plan.formatFlags(1), "DumpLoadedClassList")!,
      classes("f", 1200).join("\n") + "\n",
    );
    await plan.finish();
    assert.deepEqual(readdirSync(cdsDir), [], "no archive, no marker, no list or lock left");
    const next = planCds(install, 1);
    assert.ok(next.training, "tried again");
    next.abandon();
  } finally {
    delete process.env.FAKE_JAVA_SLEEP;
    rmSync(home, { recursive: true, force: true });
  }
});

test("too short a class list builds nothing; a failed start abandons training without leftovers", async () => {
  const { install, home, cdsDir } = fakeInstall();
  try {
    const plan = planCds(install, 1);
    writeFileSync(
      flagValue(plan.brokerFlags(1, true), "DumpLoadedClassList")!,
      classes("b", 10).join("\n") + "\n",
    );
    await plan.finish();
    assert.deepEqual(readdirSync(cdsDir), [], "no archive, no marker: the next start trains again");
    const again = planCds(install, 1);
    assert.ok(again.training);
    writeFileSync(flagValue(again.formatFlags(1), "DumpLoadedClassList")!, "x\n");
    again.abandon();
    assert.deepEqual(readdirSync(cdsDir), []);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("a lock left by a dead trainer is taken over; no training under the supervisor; FAULTBOX_KAFKA_CDS=0 or an old Java uses and trains nothing", () => {
  const { install, home, cdsDir } = fakeInstall();
  try {
    const first = planCds(install, 1);
    const lock = first.training!.lock;
    first.abandon();
    writeFileSync(lock, "999999999"); // no such process
    const plan = planCds(install, 1);
    assert.ok(plan.training, "the stale lock is taken over");
    assert.equal(readFileSync(lock, "utf8"), String(process.pid));
    plan.abandon();
    assert.equal(existsSync(lock), false);

    const supervised = planCds(install, 1, process.env, false);
    assert.equal(supervised.training, undefined, "a broker under the syscall supervisor never trains");
    assert.deepEqual(supervised.brokerFlags(1, true), []);

    const off = planCds(install, 1, { FAULTBOX_KAFKA_CDS: "0" });
    assert.equal(off.training, undefined);
    assert.deepEqual(off.brokerFlags(1, true), []);
    assert.deepEqual(off.formatFlags(1), []);
    assert.deepEqual(readdirSync(cdsDir), []);
    assert.deepEqual(cdsArchiveFlags(install, { FAULTBOX_KAFKA_CDS: "0" }), []);

    // A Java older than 11 gets no CDS flag at all (its archives hold no application classes).
    const old = { ...install, java: { ...install.java, major: 8 } };
    assert.equal(planCds(old, 1).training, undefined);
    assert.deepEqual(planCds(old, 1).brokerFlags(1, true), []);
    assert.deepEqual(cdsArchiveFlags(old), []);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
