// The other clients the project's interop tests rely on all work against the real broker: the Java
// perf tools, kcat, and kafka-python.
import { test } from "node:test";
import assert from "node:assert/strict";
import { kafkaTool, useKafka } from "../../support/index.js";
import { runCommand } from "../../support/run-command.js";
import { tool } from "../../support/tools.js";

test("kafka-producer-perf-test and kafka-consumer-perf-test run against the single node", async () => {
  const kafka = await useKafka({ nodes: 1 });
  const topic = `foundation-perf-${process.pid}`;
  const produced = await runCommand(
    [
      ...(await kafkaTool("kafka-producer-perf-test")),
      "--topic",
      topic,
      "--num-records",
      "2000",
      "--record-size",
      "100",
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${kafka.bootstrap}`,
      "acks=all",
    ],
    { timeoutMs: 90_000 },
  );
  assert.equal(produced.code, 0, produced.stderr);
  assert.match(produced.stdout, /2000 records sent/);
  const consumed = await runCommand(
    [
      ...(await kafkaTool("kafka-consumer-perf-test")),
      "--bootstrap-server",
      kafka.bootstrap,
      "--topic",
      topic,
      "--messages",
      "2000",
      "--timeout",
      "60000",
    ],
    { timeoutMs: 90_000 },
  );
  assert.equal(consumed.code, 0, consumed.stderr);
  // The CSV line: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, ...
  const row = consumed.stdout.trim().split("\n").at(-1)!.split(",");
  assert.equal(Number(row[4]), 2000, consumed.stdout);
});

test("kcat produces and consumes against the 3-node cluster", async () => {
  const kafka = await useKafka({ nodes: 3 });
  const topic = `foundation-kcat-${process.pid}`;
  const put = await runCommand(
    [tool("kcat"), "-P", "-b", kafka.bootstrap, "-t", topic, "-X", "request.required.acks=-1"],
    {
      input: "k1\nk2\nk3\n",
    },
  );
  assert.equal(put.code, 0, put.stderr);
  const got = await runCommand(
    [tool("kcat"), "-C", "-b", kafka.bootstrap, "-t", topic, "-o", "beginning", "-c", "3", "-e", "-q"],
    {
      timeoutMs: 60_000,
    },
  );
  assert.equal(got.code, 0, got.stderr);
  assert.deepEqual(got.stdout.trim().split("\n").sort(), ["k1", "k2", "k3"]);
});

test("kafka-python produces and consumes in a group against the single node", async () => {
  const kafka = await useKafka({ nodes: 1 });
  const script = `
import sys
from kafka import KafkaProducer, KafkaConsumer
bootstrap, topic = sys.argv[1], sys.argv[2]
p = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
for i in range(3):
    p.send(topic, ("py-%d" % i).encode()).get(timeout=30)
p.close()
c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=topic, auto_offset_reset="earliest", consumer_timeout_ms=15000)
got = []
for m in c:
    got.append(m.value.decode())
    if len(got) == 3:
        break
c.close()
print(",".join(sorted(got)))
`;
  const r = await runCommand(
    [tool("python"), "-c", script, kafka.bootstrap, `foundation-py-${process.pid}`],
    {
      timeoutMs: 90_000,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "py-0,py-1,py-2");
});
