// kafka_ready() and error(code=) against real Apache Kafka (test/support's shared broker), through the
// CLI: a placeholder process owns an interface on the broker's port, so steps and rules reach real Kafka.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { useKafka } from "../../support/index.js";
import { runCommand } from "../../support/run-command.js";
import { root } from "../seed/cli.js";

test("real Kafka: kafka_ready(addr) passes, error(code=) fails publish with the error's name, times=1", async () => {
  const k = await useKafka();
  const bootstrap = k.bootstrap.split(",")[0]!;
  const port = Number(bootstrap.split(":")[1]);
  const topic = `kready-${randomBytes(4).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "faultbox-kafka-real-"));
  const spec = join(dir, "faultbox.star");
  writeFileSync(
    spec,
    [
      `kafka = service("kafka", "sleep", interface("broker", "kafka", ${port}), args = ["300"],`,
      `    healthcheck = kafka_ready("${bootstrap}", timeout = "60s"))`,
      `denied_once = fault_assumption("denied_once", target = kafka.broker,`,
      `    rules = [error(topic = "${topic}", code = "TOPIC_AUTHORIZATION_FAILED", times = 1)])`,
      "def test_error_code_once():",
      '    assert_eq(len(events(where = lambda e: e.type == "service_ready")), 1)',
      `    rs = fault(denied_once, run = lambda: [kafka.broker.publish(topic = "${topic}", data = "1"),`,
      `                                          kafka.broker.publish(topic = "${topic}", data = "2")])`,
      "    assert_eq(rs[0].ok, False)",
      '    assert_true("TOPIC_AUTHORIZATION_FAILED" in rs[0].error, "error: " + rs[0].error)',
      '    assert_true(rs[1].ok, "second publish: " + rs[1].error)',
      "",
    ].join("\n"),
  );
  const r = await runCommand([process.execPath, join(root, "bin/faultbox.js"), "test", spec], {
    timeoutMs: 180_000,
  });
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 passed, 0 failed/);
});
