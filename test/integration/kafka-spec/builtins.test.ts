// The Kafka builtins of a spec end to end through the CLI against the embedded broker:
// kafka_ready() as a healthcheck, error(code=/message=/api=), disconnect(), times=.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../../support/run-command.js";
import { root } from "../seed/cli.js";

const faultbox = (spec: string) =>
  runCommand([process.execPath, join(root, "bin/faultbox.js"), "test", spec], { timeoutMs: 180_000 });

function specFile(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-kafka-builtins-"));
  const spec = join(dir, "faultbox.star");
  writeFileSync(spec, lines.join("\n") + "\n");
  return spec;
}

test("kafka_ready, error(code=), error(message=, api=), disconnect and times= against the embedded broker", async () => {
  const r = await faultbox(join(root, "test/integration/kafka-spec/specs/builtins.star"));
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /6 passed, 0 failed/);
});

test("kafka_ready(addr) with the declared port probes the broker's mapped port", async () => {
  const spec = specFile([
    'load("@faultbox/mocks/kafka.star", "kafka")',
    'bus = kafka.broker(name = "bus", healthcheck = kafka_ready("localhost:9092", timeout = "60s"))',
    "def test_ready():",
    '    assert_eq(len(events(where = lambda e: e.type == "service_ready")), 1)',
  ]);
  const r = await faultbox(spec);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 passed, 0 failed/);
});

test("kafka_ready on an address where no broker answers fails the start, naming the check", async () => {
  const spec = specFile([
    'load("@faultbox/mocks/kafka.star", "kafka")',
    'bus = kafka.broker(name = "bus", healthcheck = kafka_ready("127.0.0.1:1", timeout = "1s"))',
    "def test_never_runs():",
    '    assert_true(False, "the service must not become ready")',
  ]);
  const r = await faultbox(spec);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stdout + r.stderr,
    /service "bus" not ready: kafka_ready\("127\.0\.0\.1:1"\) healthcheck timed out after 1s \(last error: /,
  );
});
