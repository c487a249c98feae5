// A Kafka proxy in front of a scripted broker, recording its events: the set-up of the proxy unit tests.
import {
  startKafkaProxy,
  type KafkaProxyEvent,
  type KafkaProxyOptions,
} from "../../src/protocols/kafka/proxy/index.js";

export async function proxyInFront<B extends { port: number; close(): Promise<void> }>(
  broker: B,
  options: Omit<KafkaProxyOptions, "upstream" | "onEvent"> = {},
) {
  const events: KafkaProxyEvent[] = [];
  const proxy = await startKafkaProxy({
    ...options,
    upstream: `127.0.0.1:${broker.port}`,
    onEvent: (e) => events.push(e),
  });
  return {
    broker,
    proxy,
    events,
    async close() {
      await proxy.close();
      await broker.close();
    },
  };
}
