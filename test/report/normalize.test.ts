import { test } from "node:test";
import assert from "node:assert/strict";
import type { JsonDoc, JsonEvent, JsonTest } from "../../src/report/doc.js";
import { NORMALIZED_HEADER, normalizeDoc, normalizeText } from "../../src/report/normalize.js";
import { diffLines, unifiedDiff } from "../../src/report/diff.js";

let seq = 0;
const ev = (type: string, service: string, data: Record<string, unknown>, ms = 0): JsonEvent => ({
  seq: ++seq,
  timestamp: new Date(Date.UTC(2026, 0, 1) + ms).toISOString(),
  type,
  service,
  data,
});

function doc(tests: Partial<JsonTest>[]): JsonDoc {
  return {
    star_file: "faultbox.star",
    seed: "1",
    duration_ms: 10,
    pass: 1,
    fail: 0,
    tests: tests.map((t) => ({
      name: "test_x",
      result: "pass",
      seed: "1",
      duration_ms: 5,
      assertions: 1,
      events: [],
      ...t,
    })),
  };
}

test("timestamps, addresses, uuids, hex ids, temp paths, pids and measured durations become placeholders", () => {
  assert.equal(
    normalizeText(
      "at 2026-03-01T10:11:12.345Z from 127.0.0.1:45257 and localhost:9092 and [::1]:80 " +
        "member kafkajs-0f8e2c1a-3b4d-4e5f-8a9b-0c1d2e3f4a5b group faultbox-1a2b3c4d-test_x " +
        "dir /tmp/faultbox-pg-Xy12z/data pid 4242 took 12ms, 3.5s, 250 µs; waited 3s; " +
        "topic orders-1796524578 at 1796524578123",
    ),
    "at <time> from <addr> and <addr> and <addr> member kafkajs-<uuid> group faultbox-<hex>-test_x " +
      "dir <tmp> pid=<pid> took <duration>, <duration>, <duration>; waited 3s; " +
      "topic orders-<epoch> at <epoch>",
  );
  // Words and numbers that only look like ids stay: no digits, or no letters.
  assert.equal(normalizeText("deadbeef 12345678 order-events"), "deadbeef 12345678 order-events");
  // ...except a run's nonce in a generated name, which may happen to have no letter.
  assert.equal(normalizeText("group=faultbox-30270506-test_x"), "group=faultbox-<hex>-test_x");
});

test("events are grouped per lane (driver first), topic records sorted by partition and offset, timing left out", () => {
  const events = [
    ev("service_started", "kafka", { kind: "image" }),
    ev("proxy_started", "kafka", { interface: "broker", listen: "127.0.0.1:4000", target: "127.0.0.1:9092" }),
    ev("proxy_fault_applied", "kafka", {
      interface: "broker",
      assumption: "dups",
      rules: 'duplicate(topic="t")',
    }),
    ev("step_send", "test", {
      target: "kafka",
      interface: "broker",
      method: "publish",
      addr: "127.0.0.1:4000",
      topic: "t",
      data: "a b",
    }),
    ev("proxy_conn_open", "kafka", { conn_id: "c1" }),
    ev("proxy", "kafka", { action: "duplicate", rule: 'duplicate(topic="t")' }),
    // The observer read partition 1 before partition 0: the trace does not care.
    ev("topic", "kafka", { topic: "t", partition: 1, offset: 0, key: "k", value: "v1" }),
    ev("topic", "kafka", { topic: "t", partition: 0, offset: 1, key: "k", value: "v0b" }),
    ev("topic", "kafka", { topic: "t", partition: 0, offset: 0, key: "k", value: "v0a" }),
    ev("step_recv", "test", {
      target: "kafka",
      interface: "broker",
      method: "publish",
      ok: true,
      duration_ms: 17,
      offset: 0,
    }),
    ev("stdout", "api", { raw: "listening on 127.0.0.1:8080" }),
    ev("proxy_fault_removed", "kafka", { interface: "broker", assumption: "dups" }),
  ];
  const text = normalizeDoc(
    doc([
      {
        result: "fail",
        reason: "assert_eq failed: 2 != 1 (at /home/me/spec/lib.star:3)",
        location: { file: "spec/faultbox.star", line: 12 },
        faults: ["dups"],
        events,
        fault_windows: [
          {
            assumption: "dups",
            target: "kafka.broker",
            rules: [{ rule: 'duplicate(topic="t")', fired: 3 }],
            fired: 3,
          },
          {
            assumption: "quiet",
            target: "kafka.broker",
            rules: [{ rule: 'drop(topic="u")', fired: 0 }],
            fired: 0,
          },
        ],
      },
    ]),
    "/home/me/spec",
  );
  assert.equal(
    text,
    [
      NORMALIZED_HEADER,
      "",
      "=== test_x: fail ===",
      "reason: assert_eq failed: 2 != 1 (at lib.star:3)",
      "at: faultbox.star:12",
      "faults: dups",
      "--- test ---",
      'step_send kafka.broker publish data="a b" topic=t',
      "step_recv kafka.broker publish ok offset=0",
      "--- kafka ---",
      "service_started kind=image",
      "proxy_started interface=broker",
      'window dups on broker: duplicate(topic="t")',
      "window end dups",
      "topic t[0]@0 key=k value=v0a",
      "topic t[0]@1 key=k value=v0b",
      "topic t[1]@0 key=k value=v1",
      "--- fault windows ---",
      "dups on kafka.broker",
      '  duplicate(topic="t"): fired',
      "quiet on kafka.broker",
      '  drop(topic="u"): never fired',
      "",
    ].join("\n"),
  );
});

test("two runs that differ only in timing give the same trace; a different outcome does not", () => {
  const run = (offset: number, ms: number, when: number) =>
    doc([
      {
        events: [
          ev("step_send", "test", { target: "k", interface: "b", method: "publish", data: "x" }, when),
          ev("proxy_conn_open", "k", { conn_id: `c${when}` }, when + 1),
          ev(
            "step_recv",
            "test",
            { target: "k", interface: "b", method: "publish", ok: true, duration_ms: ms, offset },
            when + ms,
          ),
        ],
      },
    ]);
  assert.equal(normalizeDoc(run(0, 4, 0)), normalizeDoc(run(0, 900, 5000)));
  assert.notEqual(normalizeDoc(run(0, 4, 0)), normalizeDoc(run(1, 4, 0)));
});

test("the line diff is minimal and its hunks name the test and lane of the change", () => {
  assert.deepEqual(
    diffLines(["a", "b", "c"], ["a", "x", "c", "d"]).map((e) => e.op + e.line),
    ["=a", "-b", "+x", "=c", "+d"],
  );
  assert.deepEqual(diffLines([], []), []);
  const a = ["# h", "", "=== test_a: pass ===", "--- kafka ---", "l1", "l2", "l3", ""].join("\n");
  const b = ["# h", "", "=== test_a: pass ===", "--- kafka ---", "l1", "L2", "l3", ""].join("\n");
  assert.equal(unifiedDiff(a, a, { nameA: "A", nameB: "B" }), "");
  assert.equal(
    unifiedDiff(a, b, { nameA: "A", nameB: "B", context: 1 }),
    ["--- A", "+++ B", "@@ -5,3 +5,3 @@ test_a: pass, kafka", " l1", "-l2", "+L2", " l3", ""].join("\n"),
  );
});

test("a history check keeps its verdict, counts and anomalies, not the event numbers they cite", () => {
  const check = (events: number[]) =>
    normalizeDoc(
      doc([
        {
          events: [
            ev("history_check", "test", {
              check: "assert_history()",
              ok: false,
              summary: "…",
              topics: ["orders"],
              counts: { sent: 2, stored: 1 },
              allowed: [],
              anomalies: {
                lost: [
                  {
                    topic: "orders",
                    key: "o-1",
                    partition: 0,
                    offset: 3,
                    detail: "acknowledged, not stored",
                    events,
                  },
                ],
                duplicated: [],
              },
            }),
          ],
        },
      ]),
    );
  assert.match(
    check([14]),
    /^history_check assert_history\(\): violation topics=\["orders"\]\n {2}counts sent=2 stored=1\n {2}lost: o-1 at orders\[0\]@3: acknowledged, not stored$/m,
  );
  assert.equal(check([14]), check([17]));
});
