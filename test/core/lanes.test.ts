// Lanes (--parallel, --pool) in the engine: each test runs once, at most `parallel` bodies at a time,
// reported in the serial order whatever order they finish in; the pool is bounded by memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import "../../src/index.js";
import { createApi } from "../../src/core/define.js";
import { SpecBuilder } from "../../src/core/builder.js";
import { laneCount, runInLanes } from "../../src/core/lanes.js";

const MIB = 1024 * 1024;

/** A loaded copy of a spec whose tests sleep for different times (later names finish sooner). */
function lane(trace: { running: number; most: number; bodies: string[] }) {
  const b = new SpecBuilder("/tmp/lanes-test.ts", {
    repr: (v) => JSON.stringify(v),
    equals: isDeepStrictEqual,
    truthy: Boolean,
  });
  const fb = createApi(b);
  for (const [i, name] of ["a", "b", "c", "d", "e"].entries()) {
    fb.test(name, async () => {
      trace.running++;
      trace.most = Math.max(trace.most, trace.running);
      trace.bodies.push(name);
      await new Promise((r) => setTimeout(r, 10 * (5 - i)));
      trace.running--;
      if (name === "c") fb.assertEq(1, 2);
    });
  }
  return { suite: b.suite, runtime: b.runtime };
}

for (const [parallel, pool] of [
  [1, true],
  [2, false],
  [2, true],
] as const) {
  test(`parallel ${parallel}${pool ? " + pool" : ""}: every test once, at most ${parallel} bodies at once, results in serial order`, async () => {
    const trace = { running: 0, most: 0, bodies: [] as string[] };
    const lanes = Array.from({ length: pool ? 2 * parallel : parallel }, () => lane(trace));
    const started: string[] = [];
    const ended: string[] = [];
    const r = await runInLanes(lanes, {
      seed: 5n,
      parallel,
      pool,
      onTestStart: (name) => started.push(name),
      onTestEnd: (t) => ended.push(t.name),
    });
    assert.deepEqual([...trace.bodies].sort(), ["a", "b", "c", "d", "e"]);
    assert.ok(trace.most <= parallel, `${trace.most} bodies ran at once`);
    const names = ["test_a", "test_b", "test_c", "test_d", "test_e"];
    assert.deepEqual(started, names);
    assert.deepEqual(ended, names);
    assert.deepEqual(
      r.tests.map((t) => [t.name, t.result]),
      names.map((n) => [n, n === "test_c" ? "fail" : "pass"]),
    );
    assert.equal(r.pass, 4);
    assert.equal(r.fail, 1);
    assert.deepEqual(
      { ...r.lanes, testsMs: 0, savedMs: 0 },
      { lanes: lanes.length, parallel, pool, testsMs: 0, savedMs: 0 },
    );
  });
}

test("the pool is bounded by available memory; parallel bodies are kept; no more lanes than tests", () => {
  const b = new SpecBuilder("/tmp/lanes-test.ts", {
    repr: String,
    equals: isDeepStrictEqual,
    truthy: Boolean,
  });
  const fb = createApi(b);
  fb.service("kafka", { image: "apache/kafka:4.1.1", interfaces: [fb.interface("broker", "kafka", 0)] });
  fb.service("api", { binary: "/bin/true", interfaces: [fb.interface("main", "http", 0)] });
  // One lane: 100 + 1024 (Kafka) + 150 MiB.
  assert.deepEqual(laneCount(b.suite, 10, 2, true, 100_000 * MIB), { lanes: 4 });
  const tight = laneCount(b.suite, 10, 2, true, 4000 * MIB); // 3/4 of it fits 2 lanes
  assert.equal(tight.lanes, 2);
  assert.match(tight.boundedBy!, /4000 MiB available, about 1274 MiB per lane/);
  assert.equal(laneCount(b.suite, 10, 2, true, 100 * MIB).lanes, 2);
  assert.deepEqual(laneCount(b.suite, 10, 3, false, 100 * MIB), { lanes: 3 });
  assert.deepEqual(laneCount(b.suite, 3, 2, true, 100_000 * MIB), { lanes: 3 });
});
