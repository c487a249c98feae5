// One client through the proxy to a cluster's SASL listener: produce three records, consume them, and
// never connect to any broker port (PLAINTEXT or SASL) directly.
import assert from "node:assert/strict";
import type { KafkaCluster } from "../../../src/launch/kafka-local/index.js";
import { createTopic, proxyFor, uniqueTopic, watchConnections } from "../kafka-proxy/helpers.js";
import type { Client } from "../kafka-proxy/clients.js";

export async function roundTrip(kafka: KafkaCluster, client: Client): Promise<void> {
  const brokerPorts = kafka.brokers.flatMap((b) => [b.port, b.saslPort!]);
  const { proxy, events } = await proxyFor(kafka.sasl!.bootstrap);
  try {
    const topic = uniqueTopic(`sasl-${client.name}`);
    await createTopic(kafka.bootstrap, topic);
    const lines = ["a:1", "b:2", "c:3"];
    const producerWatch = watchConnections(brokerPorts);
    const sent = await client.produce(proxy.bootstrap, topic, lines, { wrap: producerWatch.wrap });
    assert.ok(sent.ok, sent.output);
    const consumerWatch = watchConnections(brokerPorts);
    const got = await client.consume(proxy.bootstrap, topic, lines.length, {
      wrap: consumerWatch.wrap,
    });
    assert.deepEqual([...got].sort(), ["1", "2", "3"], `${client.name}: ${JSON.stringify(events)}`);
    if (client.external) {
      assert.deepEqual(producerWatch.stop(), [], "the producer connected to a broker directly");
      assert.deepEqual(consumerWatch.stop(), [], "the consumer connected to a broker directly");
    }
    const problems = events.filter((e) => e.type === "malformed" || e.type === "warning");
    assert.deepEqual(problems, []);
  } finally {
    await proxy.close();
  }
}
