// The "kafka" protocol plugin: steps publish/consume (kafkajs, through the proxy), the fault proxy with
// drop/delay/duplicate/error/disconnect rules, ready() = the broker accepts a produce, and the topic()
// observer. registerKafkaProtocol() adds it to core's registry.
import type { Decoder } from "../../../core/decoders.js";
import type { ObserveSource } from "../../../core/model.js";
import { registerProtocol, type ProtocolPlugin } from "../../../core/protocol.js";
import { registerImageSubstitute } from "../../../launch/image-substitutes.js";
import { closeStepClients } from "./clients.js";
import { localKafkaSubstitute } from "./local-broker.js";
import { kafkaReadyProbe } from "./healthcheck.js";
import { topicSource, type TopicOptions } from "./observer/topic-observer.js";
import { startKafkaPluginProxy } from "./proxy.js";
import { kafkaRuleSupport } from "./rules.js";
import { kafkaSteps } from "./steps.js";

export const kafkaProtocol: ProtocolPlugin = {
  name: "kafka",
  steps: kafkaSteps,
  proxy: startKafkaPluginProxy,
  rules: kafkaRuleSupport,
  healthcheck: kafkaReadyProbe,
  observers: {
    /** topic(name, decoder=None, broker=None) */
    topic: (...args: unknown[]): ObserveSource => {
      const [name, options] = args as [string, (TopicOptions & { decoder?: Decoder }) | undefined];
      return topicSource(name, options ?? {});
    },
  },
  afterTest: closeStepClients,
};

/** Registers the protocol, and local Kafka as the stand-in for Kafka images when no engine is reachable. */
export function registerKafkaProtocol(): void {
  registerProtocol(kafkaProtocol);
  registerImageSubstitute(localKafkaSubstitute);
}

export { topicSource, type TopicOptions } from "./observer/topic-observer.js";
export { kafkaReadyProbe, READY_TOPIC } from "./healthcheck.js";
export { startKafkaPluginProxy, type RetargetableProxy } from "./proxy.js";
export { toKafkaRule, kafkaRuleSupport } from "./rules.js";
export { closeStepClients } from "./clients.js";
export { localKafkaSubstitute, isKafkaImage } from "./local-broker.js";
