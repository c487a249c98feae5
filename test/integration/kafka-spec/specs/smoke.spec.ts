// Smoke spec (TypeScript API): a Kafka image service stands in as local Kafka; publish, consume, drop.
import { defineSpec } from "../../../../src/index.js";
import { topicSource } from "../../../../src/protocols/kafka/plugin/index.js";

export default defineSpec((fb) => {
  const kafka = fb.service("kafka", {
    interfaces: [fb.interface("broker", "kafka", 9092)],
    image: "confluentinc/cp-kafka:7.6",
    healthcheck: fb.tcp("localhost:9092"),
    reuse: true,
    observe: [topicSource("order-events", { decoder: fb.jsonDecoder() })],
  });
  fb.test("publish_consume", async () => {
    const p = await kafka.broker.call("publish", {
      topic: "order-events",
      data: '{"id":1,"action":"created"}',
      key: "order-1",
    });
    fb.assertTrue(p.ok, `publish failed: ${p.error}`);
    const c = await kafka.broker.call("consume", { topic: "order-events" });
    fb.assertTrue(c.ok, `consume failed: ${c.error}`);
    fb.assertEq((c.data as Record<string, unknown>).value, '{"id":1,"action":"created"}');
    await fb.assertEventually({ where: (e) => e.type === "topic" && e.data.action === "created" });
  });
  const loss = fb.faultAssumption("message_loss", {
    target: kafka.broker,
    rules: [fb.rules.drop({ topic: "order-events" })],
  });
  fb.test("drop", async () => {
    await fb.fault(loss, async () => {
      const p = await kafka.broker.call("publish", {
        topic: "order-events",
        data: '{"id":2,"action":"lost"}',
      });
      fb.assertTrue(p.ok, `publish failed: ${p.error}`);
    });
    await fb.assertNever({ where: (e) => e.type === "topic" && e.data.action === "lost" });
  });
});
