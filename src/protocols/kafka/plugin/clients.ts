// kafkajs clients for the test driver's steps. One producer per interface address per test (a step
// must not pay a connection and metadata round trip each time); every client is closed when the test
// ends (closeStepClients, called through the plugin's afterTest hook), so none outlives its broker.
import type { Kafka, Producer } from "kafkajs";
import { kafkajsModule } from "../../../core/lazy-module.js";
import type { Address } from "../../../core/protocol.js";
import { registerKafkajsCodecs } from "./kafkajs-codecs.js";
import { kafkajsSasl, type KafkaSaslCredentials } from "./sasl.js";

const producers = new Map<string, Promise<Producer>>();
/** Every open client and the address it talks to (tests in other lanes use other addresses). */
const openClients = new Map<{ disconnect(): Promise<void> }, Address>();

function addrKey(a: Address, sasl?: KafkaSaslCredentials): string {
  return `${a.host}:${a.port}${sasl ? ` as ${sasl.mechanism}:${sasl.username}` : ""}`;
}

/** A kafkajs client bound to one address (the proxy's, for steps). Retries are short: a step reports. */
export function kafkaClient(target: Address, clientId: string, sasl?: KafkaSaslCredentials): Kafka {
  registerKafkajsCodecs(); // so consume reads snappy, lz4 and zstd records too
  const { Kafka: KafkaClient, logLevel } = kafkajsModule();
  return new KafkaClient({
    clientId,
    ...(sasl ? { sasl: kafkajsSasl(sasl) } : {}),
    brokers: [addrKey(target)],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
  });
}

/**
 * The test's producer for this address, connected on first use. kafkajs does not retry its sends (it
 * still retries connecting and metadata): the publish step does, so that it sees every attempt's
 * outcome and knows whether a failed send may have been written (for the history checker).
 */
export function stepProducer(target: Address, sasl?: KafkaSaslCredentials): Promise<Producer> {
  const key = addrKey(target, sasl);
  let p = producers.get(key);
  if (!p) {
    p = (async () => {
      const producer = kafkaClient(target, "faultbox-step", sasl).producer({
        allowAutoTopicCreation: true,
        idempotent: false,
        maxInFlightRequests: 1,
        retry: { retries: 0 },
      });
      openClients.set(producer, target);
      await producer.connect();
      return producer;
    })();
    p.catch(() => producers.delete(key));
    producers.set(key, p);
  }
  return p;
}

/** Registers a client (a consumer of `target`) so that a test ending mid-step still closes it. */
export function trackClient(c: { disconnect(): Promise<void> }, target: Address): () => void {
  openClients.set(c, target);
  return () => openClients.delete(c);
}

/** Forgets a producer that broke (its broker went away); the next step connects a new one. */
export function dropProducer(target: Address, sasl?: KafkaSaslCredentials): void {
  const key = addrKey(target, sasl);
  const p = producers.get(key);
  producers.delete(key);
  void p
    ?.then((producer) => {
      openClients.delete(producer);
      return producer.disconnect();
    })
    .catch(() => undefined);
}

/**
 * Closes the step clients of a test that ended: those talking to one of its `addresses` (all of them
 * when none are given). Tests running at the same time in other lanes keep theirs.
 */
export async function closeStepClients(scope?: { addresses: Address[] }): Promise<void> {
  const mine = scope ? new Set(scope.addresses.map((a) => addrKey(a))) : undefined;
  const closing = [...openClients].filter(([, target]) => !mine || mine.has(addrKey(target)));
  for (const [c] of closing) openClients.delete(c);
  for (const key of [...producers.keys()])
    if (!mine || [...mine].some((m) => key === m || key.startsWith(`${m} as `))) producers.delete(key);
  await Promise.all(closing.map(([c]) => c.disconnect().catch(() => undefined)));
}
