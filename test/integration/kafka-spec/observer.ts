// The topic() observer of the kafka plugin, started as core would start it, with JSON decoding.
import { jsonDecoder } from "../../../src/core/decoders.js";
import type { EventLog } from "../../../src/core/events.js";
import type { Observer } from "../../../src/core/observer.js";
import type { Address } from "../../../src/core/protocol.js";
import { topicSource } from "../../../src/protocols/kafka/plugin/index.js";

export async function startObserver(addr: Address, topic: string, log: EventLog): Promise<Observer> {
  const source = topicSource(topic, { decoder: jsonDecoder() });
  if (source.kind !== "observer") throw new Error(`topic() gave a ${source.kind}, not an observer`);
  return source.start({
    service: "kafka",
    upstream: addr,
    emit: (type, data) => log.append(type, "kafka", data),
    log,
    seed: 1n,
  });
}
