// The "kafka" protocol plugin: steps publish/consume (kafkajs, through the proxy), the fault proxy with
// drop/delay/duplicate/error/disconnect rules, ready()/kafka_ready() = the broker accepts a produce, and the topic()
// observer. registerKafkaProtocol() adds it to core's registry.
import type { Decoder } from "../../../core/decoders.js";
import { SpecError } from "../../../core/errors.js";
import type { ObserveSource } from "../../../core/model.js";
import { registerProtocol, type ProtocolPlugin } from "../../../core/protocol.js";
import { registerImageSubstitute } from "../../../launch/image-substitutes.js";
import { closeStepClients } from "./clients.js";
import { localKafkaSubstitute } from "./local-broker.js";
import { embeddedKafkaSubstitute } from "../broker/spec-service.js";
import { kafkaClusterSubstitute } from "../cluster/service.js";
import { kafkaReadyProbe } from "./healthcheck.js";
import { topicSource } from "./observer/topic-observer.js";
import { kafkaProxyPlugin } from "./proxy-plugin.js";
import { kafkaSteps } from "./steps.js";
import { kafkaNodeSelectors } from "./node-selectors.js";

export const kafkaProtocol: ProtocolPlugin = {
  ...kafkaProxyPlugin,
  steps: kafkaSteps,
  healthcheck: kafkaReadyProbe,
  observers: {
    /** topic(name, decoder=None, broker=None); from a spec the keywords arrive as a trailing dict. */
    topic: (...args: unknown[]): ObserveSource => topicFromArgs(args),
  },
  afterTest: closeStepClients,
  nodeSelectors: kafkaNodeSelectors,
};

function asDecoder(v: unknown): Decoder | undefined {
  if (v === undefined || v === null) return undefined;
  const d = (v as { decode?: unknown; decoder?: unknown }).decode ? v : (v as { decoder?: unknown }).decoder;
  if (d && typeof (d as Decoder).decode === "function") return d as Decoder;
  throw new SpecError("topic(): decoder must be json_decoder(), logfmt_decoder() or regex_decoder()");
}

function topicFromArgs(args: unknown[]): ObserveSource {
  const positional = args.filter((a) => typeof a === "string");
  const kwargs = (args.find((a) => a !== null && typeof a === "object") ?? {}) as Record<string, unknown>;
  const name = positional[0] ?? kwargs.name;
  if (typeof name !== "string" || name === "" || positional.length > 1) {
    throw new SpecError('topic() takes one topic name, e.g. topic("order-events", decoder=json_decoder())');
  }
  for (const k of Object.keys(kwargs)) {
    if (!["name", "decoder", "broker"].includes(k)) {
      throw new SpecError(`topic(): unknown keyword argument "${k}"; valid: decoder, broker`);
    }
  }
  if (kwargs.broker !== undefined && typeof kwargs.broker !== "string") {
    throw new SpecError('topic(): broker= must be "host:port"');
  }
  return topicSource(name, {
    decoder: asDecoder(kwargs.decoder),
    ...(kwargs.broker ? { broker: kwargs.broker as string } : {}),
  });
}

/** Registers the protocol, and local Kafka as the stand-in for Kafka images when no engine is reachable. */
export function registerKafkaProtocol(): void {
  registerProtocol(kafkaProtocol);
  registerImageSubstitute(localKafkaSubstitute);
  registerImageSubstitute(embeddedKafkaSubstitute);
  registerImageSubstitute(kafkaClusterSubstitute);
}

export { topicSource, type TopicOptions } from "./observer/topic-observer.js";
export { kafkaReadyProbe, READY_TOPIC } from "./healthcheck.js";
export { startKafkaPluginProxy, type RetargetableProxy } from "./proxy.js";
export { toKafkaRule, kafkaRuleSupport, checkKafkaRule } from "./rules.js";
export { kafkaProxyPlugin } from "./proxy-plugin.js";
export { closestKafkaErrorNames, resolveKafkaError } from "./error-names.js";
export { closeStepClients } from "./clients.js";
export {
  kafkaNodeSelectors,
  partitionState,
  topicPartitions,
  type PartitionState,
} from "./node-selectors.js";
export { localKafkaSubstitute, isKafkaImage } from "./local-broker.js";
export {
  kafkaCluster,
  parseClusterSettings,
  KAFKA_CLUSTER_IMAGE,
  KAFKA_CLUSTER_ENV,
  type KafkaClusterSettings,
} from "../cluster/service.js";
