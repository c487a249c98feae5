// The history checker as a pure function: hand-made event logs with each anomaly, and clean ones that
// must give no false positive.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Event } from "../../src/core/events.js";
import {
  ANOMALY_KINDS,
  checkHistory,
  describeFailures,
  describeVerdict,
  historyFromEvents,
  type AnomalyKind,
  type ExtractOptions,
  type HistoryVerdict,
} from "../../src/core/history/index.js";

/** A log under construction, with the shapes our steps, the topic observer and user services emit. */
class Log {
  readonly events: Event[] = [];
  add(type: string, data: Record<string, unknown>, service = "kafka"): Event {
    const e = { seq: this.events.length + 1, time: "", type, service, data };
    this.events.push(e);
    return e;
  }
  publish(
    key: string,
    value: string,
    r: {
      ok?: boolean;
      partition?: number;
      offset?: number;
      definite?: boolean;
      error?: string;
      topic?: string;
      acks?: number;
    } = {},
  ): void {
    const { ok = true, topic = "t", ...rest } = r;
    this.add(
      "step_recv",
      { target: "kafka", interface: "broker", method: "publish", ok, topic, key, value, ...rest },
      "test",
    );
  }
  stored(key: string, value: string, partition: number, offset: number, topic = "t"): void {
    this.add("topic", { topic, partition, offset, key, value });
  }
  truncated(partition: number, offset: number, topic = "t"): void {
    this.add("topic_truncated", { topic, partition, offset, previous_end: offset + 1 });
  }
  consume(group: string, key: string, value: string, partition: number, offset: number, topic = "t"): void {
    this.add(
      "step_recv",
      {
        target: "kafka",
        interface: "broker",
        method: "consume",
        ok: true,
        topic,
        partition,
        offset,
        key,
        value,
        group,
      },
      "test",
    );
  }
  /** `n` records k-0..k-(n-1) published, acknowledged and stored at offsets 0..n-1 of partition 0. */
  clean(n: number): void {
    for (let i = 0; i < n; i++) this.publish(`k-${i}`, `v-${i}`, { partition: 0, offset: i });
    for (let i = 0; i < n; i++) this.stored(`k-${i}`, `v-${i}`, 0, i);
  }
  check(allow: AnomalyKind[] = [], options: Partial<ExtractOptions> = {}): HistoryVerdict {
    const { history, problems } = historyFromEvents(this.events, { observedTopics: ["t"], ...options });
    assert.deepEqual(problems, []);
    return checkHistory(history, { allow });
  }
}

function found(v: HistoryVerdict): Partial<Record<AnomalyKind, number>> {
  return Object.fromEntries(
    ANOMALY_KINDS.filter((k) => v.anomalies[k].length).map((k) => [k, v.anomalies[k].length]),
  );
}

test("a clean history: every ack stored once, read once in order, by one group: no anomaly", () => {
  const log = new Log();
  log.clean(5);
  for (let i = 0; i < 5; i++) log.consume("g", `k-${i}`, `v-${i}`, 0, i);
  const v = log.check();
  assert.deepEqual(found(v), {});
  assert.equal(v.ok, true);
  assert.deepEqual(v.counts, {
    sent: 5,
    acked: 5,
    failed: 0,
    indeterminate: 0,
    stored: 5,
    read: 5,
    untracked: 0,
    recovered: 0,
    overwritten: 0,
  });
  assert.match(describeVerdict(v), /^history of "t": 5 sent \(5 acked\), 5 stored, 5 read; no anomalies$/);
});

test("clean histories that look suspicious are not anomalies: lagging consumers, failed sends not stored, two partitions, gaps", () => {
  const log = new Log();
  log.clean(4);
  log.publish("x", "failed", { ok: false, definite: true, error: "RECORD_TOO_LARGE" });
  log.publish("y", "timeout", { ok: false, error: "Request timed out" });
  // Partition 1 starts its own order: a later send stored at a lower offset of another partition is fine.
  log.publish("p1", "v", { partition: 1, offset: 0 });
  log.stored("p1", "v", 1, 0);
  // An offset gap (a transaction marker) is no skip; a consumer that has not caught up is no skip either.
  log.publish("gap", "v", { partition: 0, offset: 5 });
  log.stored("gap", "v", 0, 5);
  log.consume("g", "k-0", "v-0", 0, 0);
  log.consume("g", "k-1", "v-1", 0, 1);
  log.consume("other", "k-0", "v-0", 0, 0);
  const v = log.check();
  assert.deepEqual(found(v), {});
  assert.equal(v.counts.failed, 1);
  assert.equal(v.counts.indeterminate, 1);
  assert.equal(v.counts.recovered, 0);
});

test("lost: an acknowledged record stored at no offset is named with its key, partition and offset", () => {
  const log = new Log();
  for (let i = 0; i < 4; i++) log.publish(`k-${i}`, `v-${i}`, { partition: 0, offset: i });
  log.publish("dropped", "no offset", {}); // the proxy's drop acknowledges without an offset
  for (const i of [0, 1, 3]) log.stored(`k-${i}`, `v-${i}`, 0, i);
  const v = log.check();
  assert.deepEqual(found(v), { lost: 2 });
  assert.equal(v.ok, false);
  const [atOffset, withoutOffset] = v.anomalies.lost;
  assert.equal(atOffset!.key, "k-2");
  assert.equal(atOffset!.partition, 0);
  assert.equal(atOffset!.offset, 2);
  assert.match(atOffset!.detail, /acknowledged here, not stored at any offset/);
  assert.equal(withoutOffset!.key, "dropped");
  assert.equal(withoutOffset!.offset, undefined);
  assert.match(
    describeFailures(v),
    /^2 acknowledged records lost \(lost\): key "k-2" at t\/0 offset 2: acknowledged here/,
  );
});

test("duplicated: stored more often than sent; reading both copies is the duplicate, not a redelivery", () => {
  const log = new Log();
  log.publish("a", "1", { partition: 0, offset: 0 });
  log.publish("b", "2", { partition: 0, offset: 2 });
  log.stored("a", "1", 0, 0);
  log.stored("a", "1", 0, 1);
  log.stored("b", "2", 0, 2);
  log.consume("g", "a", "1", 0, 0);
  log.consume("g", "a", "1", 0, 1);
  log.consume("g", "b", "2", 0, 2);
  const v = log.check();
  assert.deepEqual(found(v), { duplicated: 1 });
  const d = v.anomalies.duplicated[0]!;
  assert.equal(d.key, "a");
  assert.equal(d.copies, 2);
  assert.deepEqual(d.offsets, [
    { partition: 0, offset: 0 },
    { partition: 0, offset: 1 },
  ]);
  assert.equal(log.check(["duplicated"]).ok, true, "allowed kinds do not fail the verdict");
  assert.equal(log.check(["duplicated"]).anomalies.duplicated.length, 1, "allowed kinds are still listed");
});

test("a record sent twice on purpose and stored twice is no duplicate; stored three times is", () => {
  const log = new Log();
  log.publish("a", "same", { partition: 0, offset: 0 });
  log.publish("a", "same", { partition: 0, offset: 1 });
  log.stored("a", "same", 0, 0);
  log.stored("a", "same", 0, 1);
  assert.deepEqual(found(log.check()), {});
  log.stored("a", "same", 0, 2);
  assert.deepEqual(found(log.check()), { duplicated: 1 });
});

test("stored though failed: only a definite failure; an indeterminate one that was stored is recovered", () => {
  const log = new Log();
  log.publish("definite", "1", { ok: false, definite: true, error: "INVALID_RECORD" });
  log.publish("unknown", "2", { ok: false, error: "KafkaJSNumberOfRetriesExceeded" });
  log.stored("definite", "1", 0, 0);
  log.stored("unknown", "2", 0, 1);
  const v = log.check();
  assert.deepEqual(found(v), { stored_though_failed: 1 });
  assert.equal(v.anomalies.stored_though_failed[0]!.key, "definite");
  assert.match(v.anomalies.stored_though_failed[0]!.detail, /INVALID_RECORD/);
  assert.equal(v.counts.recovered, 1);
});

test("a send acknowledged with acks=0 was not acknowledged at all: it is indeterminate, never lost", () => {
  const log = new Log();
  log.add("stdout", { history: "send", topic: "t", key: "a", value: "1", ok: true, acks: 0 }, "svc");
  log.publish("b", "2", { acks: 0 });
  const v = log.check();
  assert.deepEqual(found(v), {});
  assert.equal(v.counts.indeterminate, 2);
});

test("a send that ended before the observer started is not checked against storage (a service's seed, an earlier step)", () => {
  const log = new Log();
  log.publish("seeded", "before", { partition: 0, offset: 0 });
  log.add("topic_observed", { observer: 'topic("t")', topic: "t", from: { 0: 1 } });
  log.publish("a", "1", { partition: 0, offset: 1 });
  log.stored("a", "1", 0, 1);
  const v = log.check();
  assert.deepEqual(found(v), {});
  assert.equal(v.counts.sent, 1);
});

test("a service's acknowledgement logged after the observer began, for a record below where it began, is not lost; one above it is", () => {
  // The producer runs from before the test: it wrote offset 4 before the observer noted the end offset
  // (5), and its success line reached the log after topic_observed. Offset 6 is not stored: lost.
  const log = new Log();
  log.add("topic_observed", { observer: 'topic("t")', topic: "t", from: { 0: 5 } });
  const sent = (value: string, offset: number) =>
    log.add("stdout", { history: "send", topic: "t", value, ok: true, partition: 0, offset }, "producer");
  sent("v-4", 4);
  sent("v-5", 5);
  sent("v-6", 6);
  log.stored("", "v-5", 0, 5);
  const v = log.check();
  assert.deepEqual(found(v), { lost: 1 });
  assert.equal(v.anomalies.lost[0]!.offset, 6);
  assert.equal(v.counts.sent, 2, "the send below the observer's start is left out");
});

test("reordered: a producer's later send stored before its earlier one in the same partition", () => {
  const log = new Log();
  log.publish("first", "1", { partition: 0, offset: 1 });
  log.publish("second", "2", { partition: 0, offset: 0 });
  log.publish("third", "3", { partition: 0, offset: 2 });
  log.stored("second", "2", 0, 0);
  log.stored("first", "1", 0, 1);
  log.stored("third", "3", 0, 2);
  const v = log.check();
  assert.deepEqual(found(v), { reordered: 1 });
  const r = v.anomalies.reordered[0]!;
  assert.equal(r.key, "second");
  assert.equal(r.offset, 0);
  assert.match(r.detail, /after key "first", stored before it \(at offset 1\)/);
});

test("truncation: records the observer saw, then an unclean election took back, are lost and divergent", () => {
  const log = new Log();
  for (let i = 0; i < 4; i++) log.publish(`k-${i}`, `v-${i}`, { partition: 0, offset: i });
  for (let i = 0; i < 4; i++) log.stored(`k-${i}`, `v-${i}`, 0, i);
  log.truncated(0, 2); // the new leader's log ends at offset 2
  log.publish("after", "x", { partition: 0, offset: 2 });
  log.stored("after", "x", 0, 2);
  const v = log.check();
  assert.deepEqual(found(v), { lost: 2, divergent: 1 });
  assert.deepEqual(
    v.anomalies.lost.map((e) => [e.key, e.offset]),
    [
      ["k-2", 2],
      ["k-3", 3],
    ],
  );
  assert.match(v.anomalies.lost[0]!.detail, /the broker holds key "after" \(another record\) here/);
  assert.equal(v.anomalies.divergent[0]!.offset, 2);
  assert.match(
    v.anomalies.divergent[0]!.detail,
    /key "k-2" \(stored, acknowledged\); key "after" \(stored, acknowledged, held now\)/,
  );
  assert.equal(v.counts.stored, 3);
  assert.equal(v.counts.overwritten, 2);
});

test("a consumer that read a record later truncated away shows the divergence at that offset", () => {
  const log = new Log();
  log.publish("old", "1", { partition: 0, offset: 0 });
  log.consume("g", "old", "1", 0, 0);
  log.stored("new", "2", 0, 0);
  const v = log.check();
  assert.deepEqual(found(v), { lost: 1, divergent: 1 });
  assert.match(
    v.anomalies.divergent[0]!.detail,
    /key "old" \(acknowledged, read by g\); key "new" \(stored, held now\)/,
  );
  assert.equal(v.counts.untracked, 1);
});

test("skipped: a group read past a stored record it never read", () => {
  const log = new Log();
  log.clean(4);
  for (const i of [0, 1, 3]) log.consume("g", `k-${i}`, `v-${i}`, 0, i);
  const v = log.check();
  assert.deepEqual(found(v), { skipped: 1 });
  assert.equal(v.anomalies.skipped[0]!.key, "k-2");
  assert.equal(v.anomalies.skipped[0]!.offset, 2);
  assert.equal(v.anomalies.skipped[0]!.group, "g");
});

test("members of one group share the work: what one member read, the group did not skip", () => {
  const log = new Log();
  log.clean(4);
  const read = (consumer: string, i: number) =>
    log.add(
      "stdout",
      {
        history: "read",
        topic: "t",
        partition: 0,
        offset: i,
        key: `k-${i}`,
        value: `v-${i}`,
        group: "g",
        consumer,
      },
      "svc",
    );
  read("c1", 0);
  read("c1", 1);
  read("c2", 2); // a rebalance moved the partition to c2 ...
  read("c1", 3); // ... and back
  assert.deepEqual(found(log.check()), {});
});

test("rewound: one reader going back; re-reading the same offset is delivered twice", () => {
  const log = new Log();
  log.clean(3);
  for (const i of [0, 1, 2, 1, 2]) log.consume("g", `k-${i}`, `v-${i}`, 0, i);
  const v = log.check();
  assert.deepEqual(found(v), { rewound: 1, delivered_twice: 2 });
  assert.match(v.anomalies.rewound[0]!.detail, /"g" read it after offset 2/);
  assert.equal(v.anomalies.delivered_twice[0]!.times, 2);

  const again = new Log();
  again.clean(2);
  // A lost OffsetCommit: the next consume step of the group gets the same record.
  for (const i of [0, 0, 1]) again.consume("g", `k-${i}`, `v-${i}`, 0, i);
  const w = again.check();
  assert.deepEqual(found(w), { delivered_twice: 1 });
  assert.equal(w.anomalies.delivered_twice[0]!.key, "k-0");
  assert.match(
    describeFailures(w),
    /1 record delivered twice to a group \(delivered_twice\): key "k-0" at t\/0 offset 0: group "g" read it 2 times/,
  );
});

test("user services' events: sends and reads printed as JSON lines, matched by a payload field, in their own order", () => {
  const log = new Log();
  const send = (seq: number, order: string, ok: boolean, extra: Record<string, unknown> = {}) =>
    log.add(
      "stdout",
      {
        history: "send",
        topic: "t",
        key: order,
        value: JSON.stringify({ order_id: order, n: seq }),
        ok,
        seq,
        ...extra,
      },
      "orders",
    );
  // Printed when the callbacks ran (out of send order); seq says the send order.
  send(2, "o-2", true, { partition: "0", offset: "0" });
  send(1, "o-1", true, { partition: "0", offset: "1" });
  send(3, "o-3", false, { error: "TimeoutException" });
  // Stored payloads differ from what was sent (a timestamp added): the id field still matches.
  log.stored("o-1", JSON.stringify({ order_id: "o-1", at: 5 }), 0, 1);
  log.stored("o-2", JSON.stringify({ order_id: "o-2", at: 6 }), 0, 0);
  log.add(
    "stdout",
    { history: "read", topic: "t", partition: 0, offset: 0, id: "o-2", group: "ship" },
    "shipper",
  );
  const v = log.check([], { id: "order_id" });
  assert.deepEqual(found(v), { reordered: 1 });
  assert.equal(v.anomalies.reordered[0]!.key, "o-2");
  assert.equal(v.anomalies.reordered[0]!.producer, "orders");
  assert.deepEqual([v.counts.sent, v.counts.acked, v.counts.indeterminate, v.counts.read], [3, 2, 1, 1]);
  // Without id=, the changed payloads are different records: both acks look lost.
  const { history } = historyFromEvents(log.events.slice(0, 5), { observedTopics: ["t"] });
  assert.equal(checkHistory(history).anomalies.lost.length, 2);
});

test("history events that cannot be used are named, not ignored", () => {
  const log = new Log();
  log.add("stdout", { history: "send", key: "k", value: "v", ok: true }, "svc");
  log.add("stdout", { history: "send", topic: "t", key: "k", value: "v" }, "svc");
  log.add("stdout", { history: "read", topic: "t", key: "k", value: "v" }, "svc");
  log.add("stdout", { history: "sent", topic: "t" }, "svc");
  log.add("stdout", { history: "send", topic: "t", id: "o-1", ok: true }, "svc");
  const { problems } = historyFromEvents(log.events, { observedTopics: ["t"] });
  assert.equal(problems.length, 5);
  assert.match(problems[0]!, /send event #1 \(stdout on svc\) has no "topic"/);
  assert.match(problems[1]!, /has no "ok"/);
  assert.match(problems[2]!, /needs "partition" and "offset"/);
  assert.match(problems[3]!, /"history" must be "send" or "read", got "sent"/);
  assert.match(problems[4]!, /has no "value" \(it gives "id": pass id="FIELD"/);
});

test("topics without an observer are listed as unobserved and not checked against storage; topic= selects", () => {
  const log = new Log();
  log.publish("a", "1", { topic: "elsewhere", partition: 0, offset: 0 });
  log.clean(2);
  const { history } = historyFromEvents(log.events, { observedTopics: ["t"] });
  const v = checkHistory(history);
  assert.deepEqual(found(v), {});
  assert.deepEqual(v.unobserved, ["elsewhere"]);
  assert.match(describeVerdict(v), /not checked against storage \(no topic\(\) observer\): "elsewhere"/);
  const only = historyFromEvents(log.events, { observedTopics: ["t"], topics: ["t*"] }).history;
  assert.deepEqual(checkHistory(only).topics, ["t"]);
});

test("the summary names counts and at most the first examples of each kind", () => {
  const log = new Log();
  for (let i = 0; i < 6; i++) log.publish(`k-${i}`, `v-${i}`, { partition: 0, offset: i });
  const v = log.check();
  const text = describeFailures(v, 3);
  assert.match(
    text,
    /^6 acknowledged records lost \(lost\): key "k-0" at t\/0 offset 0: .*; key "k-2" at t\/0 offset 2: [^;]*; and 3 more$/,
  );
  assert.match(
    describeVerdict(v),
    /^history of "t": 6 sent \(6 acked\), 0 stored, 0 read; 6 acknowledged records lost/,
  );
});
