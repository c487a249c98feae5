// Kafka 3.9.1 with a SASL_PLAINTEXT listener, through the proxy. Mainly for kcat: Debian's librdkafka
// 2.0.2 cannot do SCRAM with Kafka 4.x brokers (a client bug fixed in librdkafka 2.6.1), but can with 3.9.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startKafka, type KafkaCluster } from "../../../src/launch/kafka-local/index.js";
import { drop } from "../../../src/protocols/kafka/rules/index.js";
import { createTopic, faults, proxyFor, uniqueTopic } from "../kafka-proxy/helpers.js";
import { kafkajsSasl, kcatSasl, pythonSasl } from "./sasl-clients.js";
import { roundTrip } from "./round-trip.js";

const alice = { username: "alice", password: "alice-secret" };
let kafka: KafkaCluster;

before(async () => {
  kafka = await startKafka({ version: "3.9", sasl: { users: { alice: alice.password } } });
});
after(async () => {
  await kafka?.stop();
});

for (const client of [
  kcatSasl({ mechanism: "SCRAM-SHA-256", ...alice }),
  kcatSasl({ mechanism: "SCRAM-SHA-512", ...alice }),
  pythonSasl({ mechanism: "SCRAM-SHA-512", ...alice }),
]) {
  test(`Kafka 3.9, ${client.name}: authenticates, produces and consumes through the proxy, never directly`, () =>
    roundTrip(kafka, client));
}

test("Kafka 3.9, kcat-SCRAM-SHA-512: a drop rule on a topic fires on an authenticated connection", async () => {
  const { proxy, events } = await proxyFor(kafka.sasl!.bootstrap);
  try {
    const topic = uniqueTopic("sasl39-drop");
    await createTopic(kafka.bootstrap, topic);
    proxy.addRule(drop({ topic, times: 1 }));
    const sent = await kcatSasl({ mechanism: "SCRAM-SHA-512", ...alice }).produce(proxy.bootstrap, topic, [
      "a:1",
      "b:2",
    ]);
    assert.ok(sent.ok, sent.output);
    assert.equal(faults(events, "drop").length, 1, JSON.stringify(events));
    const got = await kafkajsSasl({ mechanism: "PLAIN", ...alice }).consume(kafka.sasl!.bootstrap, topic, 1);
    assert.deepEqual(got, ["2"]);
  } finally {
    await proxy.close();
  }
});
