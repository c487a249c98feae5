import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration } from "../../src/core/duration.js";
import { createRng } from "../../src/core/random.js";
import { matchTestFilter } from "../../src/core/filter.js";

test("durations in Go syntax", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.throws(() => parseDuration(250), /250 has no unit; write a duration such as "250s" or "250ms"/);
  assert.throws(() => parseDuration("3 seconds"), /bad duration "3 seconds"/);
  assert.throws(() => parseDuration(""), /bad duration/);
});

test("the same seed gives the same sequence; forks depend only on seed and label", () => {
  const a = createRng(42n);
  const b = createRng(42);
  const xs = [a.next(), a.next(), a.next()];
  assert.deepEqual(xs, [b.next(), b.next(), b.next()]);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notEqual(createRng(43).next(), xs[0]);
  assert.equal(createRng(7).fork("proxy:a").next(), createRng(7).fork("proxy:a").next());
  assert.notEqual(createRng(7).fork("proxy:a").next(), createRng(7).fork("proxy:b").next());
});

test("--test selection: exact, test_ prefix, glob, ~regex, matrix base", () => {
  assert.ok(matchTestFilter("health", "test_health"));
  assert.ok(matchTestFilter("test_health", "test_health"));
  assert.ok(!matchTestFilter("health", "test_health_check"));
  assert.ok(matchTestFilter("health*", "test_health_check"));
  assert.ok(matchTestFilter("~^test_h", "test_health"));
  assert.ok(matchTestFilter("matrix_place_order", "test_matrix_place_order_inventory_down"));
  assert.ok(!matchTestFilter("place_order", "test_matrix_place_order_inventory_down"));
});
