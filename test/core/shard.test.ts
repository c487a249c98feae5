import { test } from "node:test";
import assert from "node:assert/strict";
import { parseShard, pickShard } from "../../src/core/shard.js";

test("every test lands in exactly one shard, round robin over the sorted list", () => {
  const tests = Array.from({ length: 11 }, (_, i) => `t${String(i).padStart(2, "0")}`);
  for (const n of [1, 2, 3, 4, 11, 13]) {
    const shards = Array.from({ length: n }, (_, i) => pickShard(tests, { index: i + 1, count: n }));
    assert.deepEqual(shards.flat().sort(), tests, `N=${n}`);
    const sizes = shards.map((s) => s.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `N=${n} sizes ${sizes.join(",")}`);
  }
  assert.deepEqual(pickShard(["a", "b", "c", "d", "e"], { index: 2, count: 2 }), ["b", "d"]);
  assert.deepEqual(pickShard(["a", "b"], undefined), ["a", "b"]);
});

test("--shard takes I/N with 1 <= I <= N; anything else is an error saying what is expected", () => {
  assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  assert.throws(() => parseShard("0/3"), /--shard 0\/3: I must be between 1 and 3/);
  assert.throws(() => parseShard("4/3"), /I must be between 1 and 3/);
  assert.throws(() => parseShard("1/0"), /N must be at least 1/);
  assert.throws(() => parseShard("2"), /--shard must be I\/N .*got "2"/);
  assert.throws(() => parseShard("a/b"), /--shard must be I\/N/);
});
