// The JIT flags of a local broker's JVM (src/launch/kafka-local/jit.ts): C1 only unless
// FAULTBOX_KAFKA_JIT=full; any other value is an error before anything starts. The flags on a real
// broker's command line: test/integration/foundation/kafka-cds.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerJitFlags } from "../../src/launch/kafka-local/jit.js";
import { startKafka } from "../../src/launch/kafka-local/index.js";
import { LaunchError } from "../../src/launch/process-guard/launch-error.js";

test("FAULTBOX_KAFKA_JIT: unset or c1 stops at the quick compiler, full gives the JVM's default", () => {
  assert.deepEqual(brokerJitFlags({}), ["-XX:TieredStopAtLevel=1"]);
  assert.deepEqual(brokerJitFlags({ FAULTBOX_KAFKA_JIT: "" }), ["-XX:TieredStopAtLevel=1"]);
  assert.deepEqual(brokerJitFlags({ FAULTBOX_KAFKA_JIT: "C1" }), ["-XX:TieredStopAtLevel=1"]);
  assert.deepEqual(brokerJitFlags({ FAULTBOX_KAFKA_JIT: "full" }), []);
  assert.deepEqual(brokerJitFlags({ FAULTBOX_KAFKA_JIT: " Full " }), []);
});

test("FAULTBOX_KAFKA_JIT with another value fails the broker's start, naming the variable and the values", async () => {
  assert.throws(
    () => brokerJitFlags({ FAULTBOX_KAFKA_JIT: "c2" }),
    (err: unknown) =>
      err instanceof LaunchError &&
      /FAULTBOX_KAFKA_JIT=c2 is not a JIT setting/.test(err.message) &&
      /c1 .*full/.test(err.hint),
  );
  // Before anything is resolved or started (no Kafka install is needed to see it).
  await assert.rejects(
    startKafka({ env: { ...process.env, FAULTBOX_KAFKA_JIT: "fast" } }),
    /FAULTBOX_KAFKA_JIT=fast/,
  );
});
