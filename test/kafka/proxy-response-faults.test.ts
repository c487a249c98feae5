// The response-side rules against a scripted broker: lose_response (the broker acts, the client's
// connection closes where the answer would be written, pipelined answers behind it lost too),
// blackhole (swallowed, silent, closed when the rule goes), delay_response (the broker has acted while
// the answer is held) and throttle (throttle_time_ms set, the connection muted).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  blackhole,
  delayResponse,
  drop,
  loseResponse,
  throttle,
} from "../../src/protocols/kafka/rules/index.js";
import { decodeResponse, encodeRecordBatch, encodeRequest } from "../../src/protocols/kafka/wire/index.js";
import type { KafkaProxyEvent } from "../../src/protocols/kafka/proxy/index.js";
import { startFakeBroker } from "./fake-broker.js";
import { rawClient } from "./raw-client.js";
import { proxyInFront } from "./proxy-in-front.js";
import { runCommand } from "../support/run-command.js";

const setup = async () => proxyInFront(await startFakeBroker());

const produce = (corr: number, topic: string, value: string, acks = -1, v = 9) =>
  encodeRequest(0, v, corr, "producer-1", {
    transactionalId: null,
    acks,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch([{ value }]) }] }],
  });

const heartbeat = (corr: number, memberId: string, clientId = "consumer-1") =>
  encodeRequest(12, 4, corr, clientId, { groupId: "g", generationId: 1, memberId, groupInstanceId: null });

const fired = (events: KafkaProxyEvent[], kind: string) =>
  events.filter(
    (e): e is Extract<KafkaProxyEvent, { type: "fault" }> => e.type === "fault" && e.kind === kind,
  );

async function until(cond: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("lose_response: the broker stores the batch and answers; the client gets what came before, then the connection closes", async () => {
  const s = await setup();
  try {
    s.broker.slowMembers.set("slow", 200);
    s.broker.slowMembers.set("slower", 300);
    s.proxy.setRules([loseResponse({ topic: "orders" })]);
    const c = await rawClient(s.proxy.bootstrap);
    c.send(heartbeat(1, "slow")); // answered first: it is ahead of the lost one
    c.send(produce(2, "orders", "a"));
    c.send(heartbeat(3, "slower")); // pipelined behind: forwarded, processed, its answer lost too
    await c.closed;
    assert.deepEqual(
      c.responses.map((f) => f.readInt32BE(0)),
      [1],
      "only the answer ahead of the lost one arrives",
    );
    assert.equal(
      s.broker.stored.get("orders")?.length,
      1,
      "the broker stored the batch whose answer was lost",
    );
    assert.deepEqual(
      s.broker.seen.filter((x) => x.startsWith("12 ")).length,
      2,
      "the later request reached the broker",
    );
    const [e] = fired(s.events, "lose_response");
    assert.ok(e, "a lose_response event");
    assert.equal(e.topic, "orders");
    assert.equal(e.lostAfter, 1);
    assert.equal(s.proxy.stats.responsesLost, 2);
    // The broker's side stays open until the request behind the lost one is answered too.
    await until(() => s.proxy.stats.responses === 3, "the broker's answer to the pipelined request");
    assert.deepEqual(
      s.proxy.rules().map((r) => [r.matched, r.fired]),
      [[1, 1]],
    );
  } finally {
    await s.close();
  }
});

test("lose_response: acks=0 has no answer to lose; times= limits it, and a new connection is served", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([loseResponse({ topic: "orders", times: 1 })]);
    const c = await rawClient(s.proxy.bootstrap);
    c.send(produce(1, "orders", "fire-and-forget", 0));
    c.send(heartbeat(2, "m"));
    assert.equal((await c.waitFor(1))[0]!.readInt32BE(0), 2, "acks=0 is not matched; the connection lives");
    c.send(produce(3, "orders", "lost"));
    await c.closed;
    const again = await rawClient(s.proxy.bootstrap);
    again.send(produce(4, "orders", "kept"));
    const [ack] = await again.waitFor(1);
    assert.equal(decodeResponse(0, 9, ack!).body.responses[0]!.partitionResponses[0]!.errorCode, 0);
    assert.equal(s.broker.stored.get("orders")?.length, 3, "all three batches are stored");
    assert.equal(fired(s.events, "lose_response").length, 1);
    again.socket.destroy();
  } finally {
    await s.close();
  }
});

test("lose_response on a group API (api=) and on a partition the proxy acked itself (drop): the answer is lost either way", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([drop({ topic: "orders" }), loseResponse({ api: "heartbeat", clientId: "consumer-*" })]);
    const hb = await rawClient(s.proxy.bootstrap);
    hb.send(heartbeat(1, "m", "other-client"));
    assert.equal((await hb.waitFor(1)).length, 1, "client_id= does not match other-client");
    hb.send(heartbeat(2, "m", "consumer-7"));
    await hb.closed;
    assert.equal(hb.responses.length, 1);
    s.proxy.setRules([drop({ topic: "orders" }), loseResponse({ topic: "orders" })]);
    const p = await rawClient(s.proxy.bootstrap);
    p.send(produce(1, "orders", "x"));
    await p.closed;
    assert.equal(p.responses.length, 0);
    assert.equal(s.broker.stored.get("orders"), undefined, "drop kept the batch from the broker");
  } finally {
    await s.close();
  }
});

test("blackhole(client_id=): swallowed and unanswered, the connection stays open; other clients are served; removing the rule closes it", async () => {
  const s = await setup();
  try {
    const [id] = s.proxy.setRules([blackhole({ clientId: "consumer-2" })]);
    const bad = await rawClient(s.proxy.bootstrap);
    const good = await rawClient(s.proxy.bootstrap);
    bad.send(heartbeat(1, "m", "consumer-1")); // not matched: answered
    await bad.waitFor(1);
    bad.send(heartbeat(2, "m", "consumer-2")); // swallowed: silences the connection
    bad.send(heartbeat(3, "m", "consumer-1")); // behind it: swallowed too, never forwarded
    bad.send(encodeRequest(18, 3, 4, "consumer-1", { clientSoftwareName: "x", clientSoftwareVersion: "1" }));
    good.send(heartbeat(9, "m", "consumer-1"));
    await good.waitFor(1);
    await until(() => s.proxy.stats.requestsSwallowed === 3, "three swallowed requests");
    assert.equal(bad.responses.length, 1, "nothing answered after the blackholed request");
    assert.ok(!bad.socket.destroyed, "the blackholed connection stays open");
    assert.equal(
      s.broker.seen.filter((x) => x.startsWith("12 ")).length,
      2,
      "the broker saw only the two answered heartbeats",
    );
    assert.equal(s.broker.seen.filter((x) => x.startsWith("18 ")).length, 0);
    const events = fired(s.events, "blackhole");
    assert.equal(events.length, 1, "one event per silenced connection");
    assert.equal(events[0]!.api, "heartbeat");
    assert.equal(events[0]!.clientId, "consumer-2", "the event names the client it silenced");
    s.proxy.removeRule(id!);
    await bad.closed;
    assert.ok(!good.socket.destroyed, "connections the rule did not silence stay open");
    good.socket.destroy();
  } finally {
    await s.close();
  }
});

test("blackhole also silences a connection on a matching produce, acks=0 included; clearRules ends it", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([blackhole({ topic: "orders" })]);
    const c = await rawClient(s.proxy.bootstrap);
    c.send(produce(1, "orders", "x", 0));
    c.send(heartbeat(2, "m"));
    await until(() => s.proxy.stats.requestsSwallowed === 2, "two swallowed requests");
    assert.equal(s.broker.stored.get("orders"), undefined);
    assert.equal(c.responses.length, 0);
    s.proxy.clearRules();
    await c.closed;
  } finally {
    await s.close();
  }
});

test("delay_response: the broker has stored the batch while its answer is held; later answers wait behind it", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([delayResponse({ topic: "orders", delay: "700ms" })]);
    const c = await rawClient(s.proxy.bootstrap);
    const sent = Date.now();
    c.send(produce(1, "orders", "a"));
    c.send(heartbeat(2, "m"));
    await until(() => fired(s.events, "delay_response").length === 1, "the hold to start");
    assert.equal(s.broker.stored.get("orders")?.length, 1, "stored before the client got anything");
    assert.equal(
      s.broker.seen.filter((x) => x.startsWith("12 ")).length,
      1,
      "the request behind it was forwarded at once",
    );
    const got = await c.waitFor(2);
    assert.ok(Date.now() - sent >= 700, "held at least the delay");
    assert.deepEqual(
      got.map((f) => f.readInt32BE(0)),
      [1, 2],
      "request order kept",
    );
    assert.equal(fired(s.events, "delay_response")[0]!.delayMs, 700);
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("throttle: throttle_time_ms is set on the answer (Produce keeps it after its responses), and the connection reads nothing for that long", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([throttle({ api: ["produce", "heartbeat"], time: "600ms" })]);
    const c = await rawClient(s.proxy.bootstrap);
    // Timed from before the produce: the mute starts when the proxy sends its answer, which is after
    // this and before the client reads it (reading it late under load must not look like a short mute).
    const sent = Date.now();
    c.send(produce(1, "orders", "a"));
    const [ack] = await c.waitFor(1);
    const body = decodeResponse(0, 9, ack!).body;
    assert.equal(body.throttleTimeMs, 600);
    assert.equal(body.responses[0]!.partitionResponses[0]!.errorCode, 0);
    c.send(heartbeat(2, "m"));
    const hb = (await c.waitFor(2))[1]!;
    const waited = Date.now() - sent;
    assert.ok(waited >= 595, `the next request waited out the throttle (muted connection): ${waited} ms`);
    assert.equal(decodeResponse(12, 4, hb).body.throttleTimeMs, 600);
    const events = fired(s.events, "throttle");
    assert.deepEqual(
      events.map((e) => [e.api, e.throttleMs]),
      [
        ["produce", 600],
        ["heartbeat", 600],
      ],
    );
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("a version without throttle_time_ms: the connection is muted anyway and a warning says the client was not told", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([throttle({ api: "heartbeat", time: "300ms" })]);
    const c = await rawClient(s.proxy.bootstrap);
    c.send(encodeRequest(12, 0, 1, "old", { groupId: "g", generationId: 1, memberId: "m" }));
    const [hb] = await c.waitFor(1);
    assert.equal(decodeResponse(12, 0, hb!).body.errorCode, 0);
    assert.ok(
      s.events.some(
        (e) => e.type === "warning" && /Heartbeat v0 responses have no throttle_time_ms/.test(e.message),
      ),
    );
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("the new rules refuse bad arguments with messages that say what to write", () => {
  assert.throws(
    () => delayResponse({ delay: "soon" } as never),
    /delay_response\(delay=\): bad duration "soon"/,
  );
  assert.throws(() => delayResponse({} as never), /delay= is required/);
  assert.throws(() => throttle({ time: "0ms" }), /time= must be from 1ms/);
  assert.throws(() => throttle({} as never), /time= is required/);
  assert.throws(
    () => blackhole({ client_id: "x" } as never),
    /unknown argument "client_id"; valid: topic, api/,
  );
  assert.throws(() => loseResponse({ times: 1.5 }), /times must be a non-negative integer/);
  assert.deepEqual(blackhole({ clientId: "c" }).defaultApis, ["*"]);
  assert.deepEqual(throttle({ time: 5 }).requestAction, { kind: "throttle", throttleMs: 5 });
});

test("a connection closed during a long throttle mute or delay hold leaves no timer behind: the process exits", async () => {
  // In a child process: requests under delay(1h) and throttle(1h), then everything closed; the
  // process must end by itself (a pending timer would keep it alive for an hour).
  const script = `
    const { startFakeBroker } = await import(${JSON.stringify(new URL("./fake-broker.ts", import.meta.url).href)});
    const { rawClient } = await import(${JSON.stringify(new URL("./raw-client.ts", import.meta.url).href)});
    const { proxyInFront } = await import(${JSON.stringify(new URL("./proxy-in-front.ts", import.meta.url).href)});
    const rules = await import(${JSON.stringify(new URL("../../src/protocols/kafka/rules/index.ts", import.meta.url).href)});
    const wire = await import(${JSON.stringify(new URL("../../src/protocols/kafka/wire/index.ts", import.meta.url).href)});
    const s = await proxyInFront(await startFakeBroker());
    s.proxy.setRules([rules.throttle({ api: "heartbeat", time: "1h" }), rules.delay({ api: "metadata", delay: "1h" })]);
    const c = await rawClient(s.proxy.bootstrap);
    c.send(wire.encodeRequest(12, 4, 1, "c", { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null }));
    await c.waitFor(1);
    c.send(wire.encodeRequest(12, 4, 2, "c", { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null }));
    const d = await rawClient(s.proxy.bootstrap);
    d.send(wire.encodeRequest(3, 12, 1, "c", { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
    // The first heartbeat and the metadata request are read; the second heartbeat waits out the mute.
    while (s.proxy.stats.requests < 2) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    c.socket.destroy();
    d.socket.destroy();
    await s.close();
    console.log("closed");
  `;
  const r = await runCommand([process.execPath, "--import", "tsx", "--input-type=module", "-e", script], {
    timeoutMs: 120_000,
  });
  assert.equal(r.timedOut, false, "the process ended by itself");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /closed/);
});
