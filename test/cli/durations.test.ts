// One duration grammar for every duration keyword (core/duration.ts): the same strings work everywhere
// ("1h30m" as a Kafka delay too), and a bare number is refused with a hint everywhere, at load when the
// keyword is read at load, never silently taken as milliseconds or seconds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseDuration } from "../../src/core/duration.js";
import { delay } from "../../src/protocols/kafka/rules/index.js";
import { faultbox, root, specFile } from "./helpers.js";

test("the grammar: units ns to h, fractions, compound forms, 0; bare numbers and junk refused with a hint", () => {
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("500us"), 0.5);
  assert.equal(parseDuration("0"), 0);
  assert.throws(
    () => parseDuration(3, "delay(delay=)"),
    /^Error: delay\(delay=\): 3 has no unit; write a duration such as "3s" or "3ms"/,
  );
  assert.throws(
    () => parseDuration("3", "test(timeout=)"),
    /test\(timeout=\): "3" has no unit; write "3s" or "3ms"/,
  );
  assert.throws(() => parseDuration("3 sec", "x"), /x: bad duration "3 sec"/);
  // The Kafka rule takes the same strings (it refused "1h" before).
  assert.equal(delay({ topic: "t", delay: "1h" }).holdMs, 3_600_000);
  assert.equal(delay({ topic: "t", delay: "1m30s" }).holdMs, 90_000);
});

const cases: [string, RegExp][] = [
  [
    `fault_assumption("slow", target = api.main, rules = [delay(delay = 3)])`,
    /delay\(delay=\): 3 has no unit/,
  ],
  [`test("t", body = lambda: None, timeout = 5)`, /test\(timeout=\): 5 has no unit/],
  [`fault_scenario("s", scenario = hit, timeout = 5)`, /fault_scenario\(timeout=\): 5 has no unit/],
  [
    `web = service("web", "/bin/sh", healthcheck = tcp("127.0.0.1:1", timeout = 10))`,
    /tcp\(timeout=\): 10 has no unit/,
  ],
  [`t = throttle(api = "fetch", time = 2)`, /throttle\(time=\): 2 has no unit/],
  [`d = delay(5)`, /delay\(\): "5" has no unit|bad duration|no unit/],
];

for (const [statement, message] of cases) {
  test(`a bare number is a load error with a hint: ${statement}`, () => {
    const file = specFile(
      `api = service("api", "/bin/sh", interface("main", "http", 0))\ndef hit():\n    pass\n${statement}\ndef test_x():\n    pass\n`,
    );
    const r = faultbox(["check", file]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /faultbox\.star:4:/);
    assert.match(r.stderr, message);
  });
}

test("assert_eventually(timeout=2) fails the test with the hint, not a 2 s (or 2 ms) wait", () => {
  const r = faultbox([
    "test",
    specFile(`def test_x():\n    assert_eventually(where = lambda e: True, timeout = 2)\n`),
  ]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /assert_eventually\(timeout=\): 2 has no unit/);
  assert.match(r.stdout, /at: .*faultbox\.star:2/);
});

test("every example and seed spec still loads", () => {
  const specs: string[] = [];
  for (const dir of readdirSync(join(root, "examples")))
    for (const f of readdirSync(join(root, "examples", dir)))
      if (f.endsWith(".star") || f === "faultbox.spec.ts") specs.push(join("examples", dir, f));
  assert.ok(specs.length > 5);
  for (const spec of specs) {
    const r = faultbox(["check", spec, "--allow-empty"]);
    assert.doesNotMatch(r.stderr, /no unit|bad duration/, `${spec}: ${r.stderr}`);
  }
});
