// Each fault rule with each client, against a real single-node Kafka 4: what the producer saw, what a
// fresh consumer group reads, and the events the proxy recorded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useKafka } from "../../support/index.js";
import { drop, duplicate, error } from "../../../src/protocols/kafka/rules/index.js";
import { createTopic, faults, proxyFor, readAll, uniqueTopic } from "./helpers.js";
import { javaClient, kafkajsClient, kcatClient, pythonClient, type Client } from "./clients.js";

const clients: Client[] = [kafkajsClient, javaClient("4"), kcatClient, pythonClient];

for (const client of clients) {
  test(`${client.name}: drop acks without storing, duplicate stores twice, later sends still succeed`, async () => {
    const kafka = await useKafka({ nodes: 1, version: "4" });
    const { proxy, events } = await proxyFor(kafka.bootstrap);
    try {
      const topic = uniqueTopic(`dd-${client.name}`);
      await createTopic(proxy.bootstrap, topic);
      proxy.setRules([drop({ topic, key: "drop-*" }), duplicate({ topic, key: "dup-*" })]);
      const sent = await client.produce(proxy.bootstrap, topic, [
        "k1:v1",
        "drop-1:v2",
        "k3:v3",
        "dup-1:v4",
        "k5:v5",
        "drop-2:v6",
        "k7:v7",
      ]);
      assert.ok(sent.ok, `the producer saw success for every send:\n${sent.output}`);
      assert.doesNotMatch(
        sent.output,
        /OUT_OF_ORDER|out of order/i,
        "no sequence error, not even a retried one",
      );
      proxy.clearRules();
      // A fresh consumer group reads only what the broker stored.
      assert.deepEqual(await readAll(proxy.bootstrap, topic, 6), ["v1", "v3", "v4", "v4", "v5", "v7"]);
      const drops = faults(events, "drop");
      const dups = faults(events, "duplicate");
      assert.equal(drops.length, 2);
      assert.equal(dups.length, 1);
      assert.deepEqual(
        drops.map((e) => e.type === "fault" && [e.topic, e.partition, e.records]),
        [
          [topic, 0, 1],
          [topic, 0, 1],
        ],
      );
    } finally {
      await proxy.close();
    }
  });

  test(`${client.name}: a retriable error code is retried by the client and the record is stored once`, async () => {
    const kafka = await useKafka({ nodes: 1, version: "4" });
    const { proxy, events } = await proxyFor(kafka.bootstrap);
    try {
      const topic = uniqueTopic(`err-${client.name}`);
      await createTopic(proxy.bootstrap, topic);
      proxy.setRules([error({ topic, code: "NOT_LEADER_OR_FOLLOWER", times: 2 })]);
      const sent = await client.produce(proxy.bootstrap, topic, ["a:one", "b:two"]);
      assert.ok(sent.ok, `the client retried through the error:\n${sent.output}`);
      assert.deepEqual(await client.consume(proxy.bootstrap, topic, 2), ["one", "two"]);
      const errs = faults(events, "error");
      assert.equal(errs.length, 2);
      assert.ok(errs.every((e) => e.type === "fault" && e.code === 6));
    } finally {
      await proxy.close();
    }
  });
}
