// Class data sharing on the real JVM (src/launch/kafka-local/cds.ts): in a cache of its own (the cached
// Kafka jars linked in), the first broker start trains and builds an archive that Java 17 can map
// (-Xshare:on fails when it cannot) and that holds Kafka's classes; the next start's broker JVM is given
// it and has it mapped (/proc/PID/maps). Without it (FAULTBOX_KAFKA_CDS=0) the JVM gets no archive flag.
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
import { resolveKafka, startKafka } from "../../../src/launch/kafka-local/index.js";
import { runCommand } from "../../support/run-command.js";

test("the first local broker start builds a class archive the JVM maps, and later starts map it", async () => {
  const real = await resolveKafka("4");
  const cache = mkdtempSync(join(tmpdir(), "fb-cds-cache-"));
  const home = join(cache, "kafka", real.version);
  mkdirSync(home, { recursive: true });
  symlinkSync(real.libDir, join(home, "lib"));
  writeFileSync(join(home, ".complete"), "linked by kafka-cds.test.ts\n");
  const env = { ...process.env, FAULTBOX_CACHE_DIR: cache, FAULTBOX_KAFKA_CDS: "1" };
  const cdsDir = join(home, "cds");
  const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  try {
    const first = await startKafka({ env });
    let archive: string;
    try {
      const java = cmdline(first.processes[0]!.pid);
      // Only the quick JIT compiler, by default (jit.ts).
      assert.ok(java.includes("-XX:TieredStopAtLevel=1"), `C1 only: ${java.join(" ")}`);
      assert.ok(
        java.some((a) => a.startsWith("-XX:DumpLoadedClassList=")),
        `the training broker writes its class list: ${java.join(" ")}`,
      );
      const built = readdirSync(cdsDir);
      assert.equal(built.filter((f) => f.endsWith(".jsa")).length, 1, `one archive: ${built.join(", ")}`);
      assert.deepEqual(
        built.filter((f) => !f.endsWith(".jsa")),
        [],
        "no lock, list or marker left",
      );
      archive = join(cdsDir, built[0]!);
    } finally {
      await first.stop();
    }

    // -Xshare:on: the JVM refuses to run unless it maps the archive; Kafka's classes come from it.
    const install = await resolveKafka("4", env);
    const r = await runCommand(
      [
        install.java.path,
        "-Xshare:on",
        `-XX:SharedArchiveFile=${archive}`,
        "-Xlog:class+load=info",
        "-cp",
        install.classpath,
        "kafka.tools.StorageTool",
        "random-uuid",
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /kafka\.tools\.StorageTool source: shared objects file/);
    assert.match(r.stdout, /org\.apache\.kafka\.common\.Uuid source: shared objects file/);

    const second = await startKafka({ env });
    try {
      const pid = second.processes[0]!.pid;
      assert.ok(cmdline(pid).includes(`-XX:SharedArchiveFile=${archive}`), cmdline(pid).join(" "));
      assert.ok(
        readFileSync(`/proc/${pid}/maps`, "utf8").includes(archive),
        "the broker JVM maps the archive",
      );
    } finally {
      await second.stop();
    }

    // No archive, and the JVM's full tiered JIT: neither flag.
    const off = await startKafka({ env: { ...env, FAULTBOX_KAFKA_CDS: "0", FAULTBOX_KAFKA_JIT: "full" } });
    try {
      const java = cmdline(off.processes[0]!.pid);
      assert.ok(!java.some((a) => /SharedArchiveFile|DumpLoadedClassList/.test(a)), java.join(" "));
      assert.ok(!java.some((a) => a.startsWith("-XX:TieredStopAtLevel")), java.join(" "));
    } finally {
      await off.stop();
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
