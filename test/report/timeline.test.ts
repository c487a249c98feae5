// The timeline model of the HTML report, built from a JSON result: lanes, marks, arrows, fault-window
// bands with their firings, and the failure's moment.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { JsonEvent, JsonTest, JsonTraffic } from "../../src/report/doc.js";
import { MAX_REQUEST_ARROWS, buildTimeline } from "../../src/report/timeline.js";

const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number) => new Date(T0 + ms).toISOString();

function events(list: [number, string, string, Record<string, unknown>][]): JsonEvent[] {
  return list.map(([ms, type, service, data], i) => ({
    seq: i + 1,
    timestamp: iso(ms),
    type,
    service,
    data,
  }));
}

function testOf(over: Partial<JsonTest>): JsonTest {
  return {
    name: "test_x",
    result: "pass",
    seed: "1",
    duration_ms: 500,
    assertions: 1,
    started_at: iso(0),
    events: [],
    ...over,
  };
}

const publish = { target: "bus", interface: "broker", method: "publish", topic: "orders", data: '{"id":1}' };
const record = (offset: number) => ({ topic: "orders", partition: 0, offset, key: "k", value: '{"id":1}' });

test("lanes: the driver first, then services as they appear; steps become call and return arrows with a span", () => {
  const m = buildTimeline(
    testOf({
      events: events([
        [5, "service_started", "db", {}],
        [10, "service_started", "bus", {}],
        [20, "step_send", "test", publish],
        [70, "step_recv", "test", { ...publish, ok: false, error: "timeout" }],
      ]),
    }),
  );
  assert.deepEqual(
    m.lanes.map((l) => [l.id, l.kind]),
    [
      ["test", "driver"],
      ["db", "service"],
      ["bus", "service"],
    ],
  );
  assert.deepEqual(
    m.marks.map((x) => [x.lane, x.t, x.category]),
    [
      [1, 5, "lifecycle"],
      [2, 10, "lifecycle"],
      [0, 20, "step"],
      [0, 70, "step"],
    ],
  );
  assert.deepEqual(
    m.arrows.map((a) => [a.kind, a.from, a.to, a.t1, a.events, a.label, a.failed ?? false]),
    [
      ["call", 0, 2, 20, [2], "publish", false],
      ["return", 2, 0, 70, [3], "publish failed", true],
    ],
  );
  assert.deepEqual(m.spans, [{ lane: 2, t1: 20, t2: 70, label: "broker.publish" }]);
  assert.equal(m.failure, undefined);
  assert.equal(m.end, 500, "the test's duration when nothing happens later");
});

test("a duplicated record shows as two record arrows from one publish; a consume reads a record", () => {
  const m = buildTimeline(
    testOf({
      events: events([
        [20, "step_send", "test", publish],
        [30, "step_recv", "test", { ...publish, ok: true, offset: 0 }],
        [40, "topic", "bus", record(0)],
        [41, "topic", "bus", record(1)],
        [50, "step_send", "test", { target: "bus", interface: "broker", method: "consume", topic: "orders" }],
        [
          90,
          "step_recv",
          "test",
          {
            target: "bus",
            interface: "broker",
            method: "consume",
            ok: true,
            topic: "orders",
            partition: 0,
            offset: 1,
          },
        ],
      ]),
    }),
  );
  const records = m.arrows.filter((a) => a.kind === "record");
  assert.deepEqual(
    records.map((a) => [a.from, a.to, a.t1, a.t2, a.events, a.label]),
    [
      [0, 1, 20, 40, [0, 2], "orders[0]@0"],
      [0, 1, 20, 41, [0, 3], "orders[0]@1"],
    ],
  );
  assert.deepEqual(
    m.arrows.filter((a) => a.kind === "read").map((a) => [a.from, a.to, a.t1, a.t2, a.events]),
    [[1, 0, 41, 90, [3, 5]]],
  );
});

test("fault windows become bands on their target's lane with the firings inside them; the failure is pinned", () => {
  const m = buildTimeline(
    testOf({
      result: "fail",
      reason: "assert_eq failed: 0 != 1\nmore",
      location: { file: "faultbox.star", line: 12 },
      failed_at: { timestamp: iso(300), after_seq: 4 },
      events: events([
        [5, "service_started", "bus", {}],
        [100, "proxy_fault_applied", "bus", { interface: "broker", assumption: "loss" }],
        [150, "proxy", "bus", { interface: "broker", action: "drop", rule: 'drop(topic="orders")' }],
        [200, "proxy_fault_removed", "bus", { interface: "broker", assumption: "loss" }],
        [400, "proxy", "bus", { interface: "broker", action: "drop", rule: 'drop(topic="orders")' }],
      ]),
      fault_windows: [
        {
          assumption: "loss",
          target: "bus.broker",
          rules: [{ rule: 'drop(topic="orders")', fired: 1 }],
          fired: 1,
          opened_at: iso(99),
          closed_at: iso(201),
        },
      ],
    }),
  );
  assert.deepEqual(m.bands, [
    {
      assumption: "loss",
      target: "bus.broker",
      lane: 1,
      t1: 99,
      t2: 201,
      rules: [{ rule: 'drop(topic="orders")', fired: 1 }],
      fired: 1,
      firings: [2],
    },
  ]);
  assert.equal(m.marks[2]!.firing, true);
  assert.equal(m.marks[4]!.firing, undefined, "a firing outside the window is not the window's");
  assert.deepEqual(m.failure, { t: 300, afterSeq: 4, text: "assert_eq failed: 0 != 1 (faultbox.star:12)" });
});

test("results without window times place the band by the window's applied and removed events", () => {
  const m = buildTimeline(
    testOf({
      started_at: undefined,
      events: events([
        [1000, "proxy_fault_applied", "bus", { assumption: "slow" }],
        [1800, "proxy_fault_removed", "bus", { assumption: "slow" }],
      ]),
      fault_windows: [{ assumption: "slow", target: "bus.broker", rules: [], fired: 0 }],
    }),
  );
  assert.equal(m.origin, T0 + 1000, "without started_at the first event is t=0");
  assert.deepEqual([m.bands[0]!.t1, m.bands[0]!.t2], [0, 800]);
});

function traffic(rows: [number, number, string, string][]): JsonTraffic {
  const apis = [...new Set(rows.map((r) => r[2]))];
  return {
    service: "bus",
    interface: "broker",
    protocol: "kafka",
    apis,
    t: rows.map((r) => r[0]),
    latency_ms: rows.map((r) => r[1]),
    api: rows.map((r) => apis.indexOf(r[2])),
    detail: rows.map((r) => r[3]),
  };
}

test("Produce and Fetch through the proxy become request/response arrows from the client's lane", () => {
  const m = buildTimeline(
    testOf({
      events: events([
        [1, "service_started", "bus", {}],
        [2, "service_started", "order-service", {}],
      ]),
      traffic: [
        traffic([
          [10, 5, "Produce", "order-service-producer"],
          [20, 2, "Metadata", "order-service-producer"],
          [30, 500, "Fetch", "app-consumer-1"],
          [40, -1, "Produce", "app-consumer-1"],
          [50, 1, "Produce", "faultbox-step"],
        ]),
      ],
    }),
  );
  assert.deepEqual(
    m.lanes.map((l) => [l.id, l.label, l.kind]),
    [
      ["test", "test driver", "driver"],
      ["bus", "bus", "service"],
      ["order-service", "order-service", "service"],
      ["client:app-consumer-1", "client app-consumer-1", "client"],
    ],
  );
  // Metadata is not drawn, nor the steps' own requests (their call arrows stand for them).
  assert.deepEqual(
    m.arrows.map((a) => [a.kind, a.from, a.to, a.t1]),
    [
      ["request", 2, 1, 10],
      ["response", 1, 2, 15],
      ["request", 3, 1, 30],
      ["response", 1, 3, 530],
      ["request", 3, 1, 40],
    ],
  );
  assert.match(m.arrows[4]!.label, /Produce from app-consumer-1, no response/);
  assert.equal(m.end, 530);

  const many = buildTimeline(
    testOf({
      traffic: [traffic(Array.from({ length: MAX_REQUEST_ARROWS + 1 }, (_, i) => [i, 1, "Fetch", "c"]))],
    }),
  );
  assert.equal(many.arrows.length, 0);
  assert.equal(many.requestsNotDrawn, MAX_REQUEST_ARROWS + 1);
});
