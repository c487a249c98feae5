// Core's handle on the Kafka proxy (startKafkaPluginProxy) in front of a scripted broker: per-rule
// matched/fired counts summed over installs, removing one rule keeps the others' times= state, fault
// events name the rule object that fired, and a fixed listen port.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SpecBuilder } from "../../src/core/builder.js";
import type { ProxyRule } from "../../src/core/model.js";
import { startKafkaPluginProxy } from "../../src/protocols/kafka/plugin/proxy.js";
import { encodeRecordBatch, encodeRequest } from "../../src/protocols/kafka/wire/index.js";
import { freePort } from "../../src/launch/process-guard/free-port.js";
import { startFakeBroker } from "./fake-broker.js";
import { rawClient } from "./raw-client.js";

const b = new SpecBuilder("/tmp/x.star", { repr: String, equals: Object.is, truthy: Boolean });

const produce = (corr: number, topic: string, value: string) =>
  encodeRequest(0, 9, corr, "t", {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch([{ value }]) }] }],
  });

test("Kafka plugin proxy: ruleCounts per rule, removeRule keeps the others' times= state, fault events carry the rule", async () => {
  const broker = await startFakeBroker();
  const port = await freePort();
  const faults: { rule: ProxyRule | undefined; data: Record<string, unknown> }[] = [];
  const proxy = await startKafkaPluginProxy({
    upstream: { host: "127.0.0.1", port: broker.port },
    seed: 3n,
    listenHost: "127.0.0.1",
    listenPort: port,
    onEvent: (type, data, rule) => void (type === "proxy" && faults.push({ rule, data })),
  });
  try {
    assert.equal(proxy.listen.port, port);
    const twice = b.proxyRule("drop", { topic: "a" }, { times: 2 });
    const other = b.proxyRule("drop", { topic: "b" }, {});
    proxy.addRule(twice);
    proxy.addRule(other);
    const c = await rawClient(`127.0.0.1:${port}`);
    let corr = 0;
    const send = async (topic: string) => {
      c.send(produce(++corr, topic, `${topic}-${corr}`));
      await c.waitFor(corr);
    };
    await send("a"); // dropped (1 of 2)
    await send("b"); // dropped
    assert.deepEqual(proxy.ruleCounts!(twice), { matched: 1, fired: 1 });
    assert.deepEqual(proxy.ruleCounts!(other), { matched: 1, fired: 1 });

    // Removing `other` leaves `twice` with its state: one more drop, then it is spent.
    assert.equal(proxy.removeRule!(other), true);
    assert.equal(proxy.removeRule!(other), false);
    await send("b"); // stored now
    await send("a"); // dropped (2 of 2)
    await send("a"); // stored: times=2 is spent
    assert.deepEqual(proxy.ruleCounts!(twice), { matched: 3, fired: 2 });
    assert.deepEqual(proxy.ruleCounts!(other), { matched: 1, fired: 1 });
    assert.deepEqual(
      (broker.stored.get("a") ?? []).length + (broker.stored.get("b") ?? []).length,
      2,
      "one record of a and one of b reached the broker",
    );
    assert.deepEqual(
      faults.map((f) => [f.rule === twice ? "twice" : f.rule === other ? "other" : "?", f.data.topic]),
      [
        ["twice", "a"],
        ["other", "b"],
        ["twice", "a"],
      ],
    );

    // Counts are summed over installs: clear (a window ends), add again (the next window).
    proxy.clearRules();
    proxy.addRule(other);
    await send("b");
    assert.deepEqual(proxy.ruleCounts!(other), { matched: 2, fired: 2 });
    c.socket.destroy();

    // A restarted broker gets a fresh inner proxy: the rule stays installed, its counts carry over.
    await proxy.retarget!({ host: "127.0.0.1", port: broker.port });
    const again = await rawClient(`127.0.0.1:${port}`);
    again.send(produce(1, "b", "after-retarget"));
    await again.waitFor(1);
    assert.deepEqual(proxy.ruleCounts!(other), { matched: 3, fired: 3 });
    assert.equal(faults.at(-1)!.rule, other);
    again.socket.destroy();
  } finally {
    await proxy.close();
    await broker.close();
  }
});

test("Kafka plugin proxy: client_id= matches the request's client.id as a glob", async () => {
  const broker = await startFakeBroker();
  const proxy = await startKafkaPluginProxy({
    upstream: { host: "127.0.0.1", port: broker.port },
    seed: 1n,
    listenHost: "127.0.0.1",
    onEvent: () => undefined,
  });
  try {
    const others = b.proxyRule("drop", { client_id: "billing-*" }, {});
    const ours = b.proxyRule("drop", { client_id: "t" }, {}); // the raw client's client.id is "t"
    proxy.addRule(others);
    const c = await rawClient(`127.0.0.1:${proxy.listen.port}`);
    c.send(produce(1, "c", "kept"));
    await c.waitFor(1);
    proxy.addRule(ours);
    c.send(produce(2, "c", "dropped"));
    await c.waitFor(2);
    assert.equal(broker.stored.get("c")?.length, 1);
    assert.deepEqual(proxy.ruleCounts!(others), { matched: 0, fired: 0 });
    assert.deepEqual(proxy.ruleCounts!(ours), { matched: 1, fired: 1 });
    c.socket.destroy();
  } finally {
    await proxy.close();
    await broker.close();
  }
});
