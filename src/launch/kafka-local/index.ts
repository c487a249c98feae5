// Apache Kafka as local processes: resolve the jars from Maven Central, start KRaft nodes, run tools.
export { startKafka, stopKafkaRecord } from "./start.js";
export type {
  StartKafkaOptions,
  KafkaCluster,
  KafkaClusterRecord,
  KafkaBroker,
  InterBrokerTarget,
  InterBrokerRoutes,
} from "./start.js";
export type { KafkaNodeControl } from "./nodes.js";
export { resolveKafka, faultboxCacheDir } from "./resolve.js";
export type { KafkaInstall } from "./resolve.js";
export { kafkaToolCommand, kafkaToolArgv, isKafkaTool } from "./tools.js";
export { cdsArchiveFlags } from "./cds.js";
export {
  canonicalKafkaVersion,
  KAFKA_TOOLS,
  KAFKA_VERSION_ALIASES,
  DEFAULT_KAFKA_VERSION,
} from "./versions.js";
export type { KafkaTool } from "./versions.js";
export { READINESS_TOPIC } from "./readiness.js";
export { SASL_MECHANISMS } from "./sasl.js";
export type { KafkaSaslOptions, KafkaSaslRecord, SaslMechanism } from "./sasl.js";
