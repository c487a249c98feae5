// The launchers' smaller parts, without starting any service.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  canonicalKafkaVersion,
  kafkaRelease,
  kafkaToolMainClass,
} from "../../../src/launch/kafka-local/versions.js";
import { serverProperties } from "../../../src/launch/kafka-local/server-properties.js";
import { freePort } from "../../../src/launch/process-guard/free-port.js";
import { withFileLock } from "../../../src/launch/process-guard/file-lock.js";
import { runCommand } from "../../support/run-command.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

test("Kafka versions: aliases, exact releases, and a clear error for anything else", () => {
  assert.equal(canonicalKafkaVersion("4"), "4.1.1");
  assert.equal(canonicalKafkaVersion("3.9"), "3.9.1");
  assert.equal(canonicalKafkaVersion("4.0.2"), "4.0.2");
  assert.throws(() => canonicalKafkaVersion("latest"), /unknown Kafka version "latest": use "4" or "3.9"/);
  assert.throws(() => kafkaRelease("3.6.0"), /Kafka 3\.6\.0 is not supported/);
});

test("console producer main class differs between 4.x and 3.9", () => {
  assert.equal(
    kafkaToolMainClass("kafka-console-producer", kafkaRelease("4")),
    "org.apache.kafka.tools.ConsoleProducer",
  );
  assert.equal(
    kafkaToolMainClass("kafka-console-producer", kafkaRelease("3.9")),
    "kafka.tools.ConsoleProducer",
  );
});

test("server.properties of a 3-node cluster: own id and ports, a 3-voter quorum, RF 3 internals", () => {
  const nodes = [1, 2, 3].map((id) => ({ nodeId: id, brokerPort: 1000 + id, controllerPort: 2000 + id }));
  const text = serverProperties(nodes[1]!, nodes, "127.0.0.1", "/d/node-2/data", kafkaRelease("4"), {
    "x.y": "z",
  });
  const props = Object.fromEntries(
    text
      .trim()
      .split("\n")
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );
  assert.equal(props["node.id"], "2");
  assert.equal(props["process.roles"], "broker,controller");
  assert.equal(props["controller.quorum.voters"], "1@127.0.0.1:2001,2@127.0.0.1:2002,3@127.0.0.1:2003");
  assert.equal(props["listeners"], "PLAINTEXT://127.0.0.1:1002,CONTROLLER://127.0.0.1:2002");
  assert.equal(props["advertised.listeners"], "PLAINTEXT://127.0.0.1:1002");
  assert.equal(props["log.dirs"], "/d/node-2/data");
  assert.equal(props["offsets.topic.replication.factor"], "3");
  assert.equal(props["transaction.state.log.min.isr"], "2");
  assert.equal(props["x.y"], "z");
});

test("free ports come from below the kernel's ephemeral range", async () => {
  const first = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  const port = await freePort();
  assert.ok(port >= 10_000 && port < first, `port ${port} should lie in [10000, ${first})`);
});

test("file lock: holders run one at a time; a lock left by a dead process is taken over", async () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-lock-"));
  try {
    const lock = join(dir, "x.lock");
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      [1, 2, 3].map(() =>
        withFileLock(lock, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(30);
          inside--;
        }),
      ),
    );
    assert.equal(maxInside, 1);
    // A pid that has exited holds the lock: it is stale.
    const dead = spawn("true");
    await new Promise((r) => dead.on("exit", r));
    writeFileSync(lock, String(dead.pid));
    assert.equal(await withFileLock(lock, async () => "taken over", 5000), "taken over");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("scripts/kafka and scripts/postgres: usage errors exit 2 with a message", async () => {
  const nodes = await runCommand([join(root, "scripts/kafka/start"), "--nodes", "0"]);
  assert.equal(nodes.code, 2);
  assert.match(nodes.stderr, /usage error: --nodes must be a positive integer, got "0"/);
  const stop = await runCommand([join(root, "scripts/kafka/stop"), "/nonexistent/cluster"]);
  assert.equal(stop.code, 2);
  assert.match(stop.stderr, /\/nonexistent\/cluster does not exist: is the Kafka cluster already stopped\?/);
  const tool = await runCommand([join(root, "scripts/kafka/tool"), "kafka-nope"]);
  assert.equal(tool.code, 2);
  assert.match(
    tool.stderr,
    /usage error: unknown Kafka tool "kafka-nope": known tools are kafka-console-producer/,
  );
  const version = await runCommand([join(root, "scripts/kafka/resolve"), "--version", "latest"]);
  assert.equal(version.code, 1);
  assert.match(version.stderr, /^error: unknown Kafka version "latest"/);
  assert.doesNotMatch(version.stderr, /\bat .*\.ts:\d+/);
  const pg = await runCommand([join(root, "scripts/postgres/start"), "--bogus", "1"]);
  assert.equal(pg.code, 2);
  assert.match(pg.stderr, /unknown option --bogus/);
});
