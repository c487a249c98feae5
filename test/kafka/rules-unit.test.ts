import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ActiveRule,
  delay,
  drop,
  error,
  globMatch,
  loseResponse,
  parseDuration,
  ruleMatches,
} from "../../src/protocols/kafka/rules/index.js";
import { SequenceTranslator } from "../../src/protocols/kafka/proxy/sequences.js";

const t = (topic?: string, extra = {}) => ({ api: "produce", topic, partition: 0, clientId: "c", ...extra });

test("rule matching: topic glob, api, partition, key and client id", () => {
  assert.ok(globMatch("orders-*", "orders-eu"));
  assert.ok(!globMatch("orders-*", "payments"));
  assert.ok(globMatch("o?ders", "orders"));
  assert.ok(globMatch("a.b", "a.b") && !globMatch("a.b", "axb"), "dots are literal");
  const r = drop({ topic: "orders*", partition: 0, key: "k-*", clientId: "svc-*" });
  assert.ok(ruleMatches(r, t("orders", { keys: ["x", "k-1"], clientId: "svc-a" })));
  assert.ok(!ruleMatches(r, t("orders", { keys: ["x"], clientId: "svc-a" })));
  assert.ok(!ruleMatches(r, t("orders", { keys: ["k-1"], clientId: "other" })));
  assert.ok(!ruleMatches(r, t("orders", { keys: ["k-1"], clientId: "svc-a", partition: 1 })));
  assert.ok(
    !ruleMatches(drop({ topic: "orders" }), { ...t("orders"), api: "fetch" }),
    "drop targets produce by default",
  );
  assert.ok(
    ruleMatches(error({ api: "heartbeat", code: "REBALANCE_IN_PROGRESS" }), {
      api: "heartbeat",
      clientId: null,
    }),
  );
  assert.ok(
    !ruleMatches(error({ topic: "orders", api: "heartbeat", code: 27 }), {
      api: "heartbeat",
      clientId: null,
    }),
  );
  assert.ok(ruleMatches(error({ api: "JoinGroup", code: 27 }), { api: "join_group", clientId: null }));
});

test("rule arguments are validated with messages that say what to write", () => {
  assert.throws(() => error({ topic: "x", code: "NOT_A_CODE" }), /unknown Kafka error "NOT_A_CODE"/);
  assert.throws(() => delay({ topic: "x", delay: "3 seconds" }), /bad duration "3 seconds"/);
  assert.throws(() => drop({ probability: 2 }), /probability must be between 0 and 1/);
  assert.throws(() => drop({ times: -1 }), /times must be a non-negative integer/);
  // A misspelt API would match nothing, so the rule would never fire: refused, with the likely name.
  assert.throws(
    () => delay({ api: "prodce", delay: "1s" }),
    /api= "prodce" is not a Kafka API; did you mean "produce"\?/,
  );
  assert.throws(
    () => loseResponse({ api: ["fetch", "OffsetComit"] }),
    /api= "OffsetComit" is not a Kafka API; did you mean "offset_commit"\?/,
  );
  assert.throws(
    () => drop({ api: "bogus_api_name" }),
    /api= "bogus_api_name" is not a Kafka API \(names in snake case/,
  );
  for (const api of [
    "produce",
    "Produce",
    "JoinGroup",
    "join_group",
    "offset_commit",
    "*",
    ["fetch", "list_offsets"],
  ])
    assert.doesNotThrow(() => drop({ api }), JSON.stringify(api));
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("250ms"), 250);
  assert.deepEqual(error({ code: "NOT_LEADER_OR_FOLLOWER" }).disposition, { kind: "error", code: 6 });
  assert.deepEqual(error({ code: "not_leader_or_follower" }).disposition, error({ code: 6 }).disposition);
});

test("after, times and a seeded probability decide firings reproducibly", () => {
  const counted = new ActiveRule(1, drop({ topic: "o", after: 2, times: 3 }), 0);
  assert.deepEqual(
    Array.from({ length: 8 }, () => counted.tryFire(t("o"))),
    [false, false, true, true, true, false, false, false],
  );
  const run = (seed: number) => {
    const r = new ActiveRule(1, drop({ topic: "o", probability: 0.5 }), seed);
    return Array.from({ length: 40 }, () => r.tryFire(t("o")));
  };
  assert.deepEqual(run(42), run(42));
  assert.notDeepEqual(run(42), run(43));
  const fired = run(42).filter(Boolean).length;
  assert.ok(fired > 5 && fired < 35, `${fired} of 40 fired at p=0.5`);
});

test("sequence translation: later batches shift down by dropped records; retries keep their fate; new epochs start clean", () => {
  const s = new SequenceTranslator();
  assert.deepEqual(s.decide(5n, 0, "t", 0, 0, 2, false), { drop: false });
  assert.deepEqual(s.decide(5n, 0, "t", 0, 2, 3, true), { drop: true });
  assert.deepEqual(s.decide(5n, 0, "t", 0, 5, 1, false), { drop: false, rewrittenBaseSequence: 2 });
  assert.deepEqual(
    s.decide(5n, 0, "t", 0, 2, 3, false),
    { drop: true },
    "a retry of a dropped batch is dropped again",
  );
  assert.deepEqual(
    s.decide(5n, 0, "t", 0, 5, 1, false),
    { drop: false, rewrittenBaseSequence: 2 },
    "a retry is translated the same way",
  );
  assert.deepEqual(s.decide(5n, 0, "t", 1, 5, 1, false), { drop: false }, "other partitions are unaffected");
  assert.deepEqual(
    s.decide(5n, 1, "t", 0, 0, 1, false),
    { drop: false },
    "a bumped epoch restarts at 0 without translation",
  );
  assert.equal(s.size, 0);
  // Wrap-around at 2^31.
  s.decide(9n, 0, "t", 0, 2 ** 31 - 2, 2, true);
  assert.deepEqual(s.decide(9n, 0, "t", 0, 0, 1, false), { drop: false });
});

test("sequence translation: a duplicate's copy takes the sequences after the original, later batches shift up; a refused copy is resent on retry", () => {
  const s = new SequenceTranslator();
  assert.deepEqual(s.decide(6n, 0, "t", 0, 0, 2, "forward"), { drop: false });
  assert.deepEqual(s.decide(6n, 0, "t", 0, 2, 3, "duplicate"), { drop: false, copyBaseSequence: 5 });
  assert.deepEqual(s.decide(6n, 0, "t", 0, 5, 1, "forward"), { drop: false, rewrittenBaseSequence: 8 });
  // A drop after the duplicate: shifts add up (+3 - 1).
  assert.deepEqual(s.decide(6n, 0, "t", 0, 6, 1, "drop"), { drop: true });
  assert.deepEqual(s.decide(6n, 0, "t", 0, 7, 4, "forward"), { drop: false, rewrittenBaseSequence: 9 });
  // The copy's answer has not come: a retry of the original carries a fresh copy (the broker dedupes a
  // copy it already has). Once the broker stored the copy, a retry goes alone.
  assert.deepEqual(s.decide(6n, 0, "t", 0, 2, 3, "forward"), { drop: false, copyBaseSequence: 5 });
  s.copyOutcome(6n, 0, "t", 0, 2, false);
  assert.deepEqual(s.decide(6n, 0, "t", 0, 2, 3, "duplicate"), { drop: false, copyBaseSequence: 5 });
  s.copyOutcome(6n, 0, "t", 0, 2, true);
  assert.deepEqual(s.decide(6n, 0, "t", 0, 2, 3, "duplicate"), { drop: false }, "no third copy");
  // A duplicate of a batch after an earlier drop: the copy follows the lowered original.
  const d = new SequenceTranslator();
  d.decide(7n, 0, "t", 0, 0, 1, "drop");
  assert.deepEqual(d.decide(7n, 0, "t", 0, 1, 2, "duplicate"), {
    drop: false,
    rewrittenBaseSequence: 0,
    copyBaseSequence: 2,
  });
  assert.deepEqual(d.decide(7n, 0, "t", 0, 3, 1, "forward"), { drop: false, rewrittenBaseSequence: 4 });
});
