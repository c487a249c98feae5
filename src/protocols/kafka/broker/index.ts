/**
 * Embedded Kafka broker: an in-process, multi-node Kafka cluster that real clients (Java, librdkafka,
 * kafkajs, kafka-python) produce to and consume from with consumer groups, built on ../wire.
 *
 *   startEmbeddedKafka({ brokers?, host?, ports?, topics?: [{ name, partitions?, messages? }],
 *                        autoCreateTopics?, defaultPartitions?, initialRebalanceDelayMs?,
 *                        minSessionTimeoutMs?, onProtocolError? }) -> Promise<EmbeddedKafka>
 *   EmbeddedKafka: bootstrap, brokers [{ nodeId, host, port }], clusterId, createTopic(name, partitions?),
 *                  produce(topic, messages), messages(topic), endOffset(topic, p),
 *                  committedOffset(group, topic, p), group(groupId), moveLeader(topic, p, nodeId),
 *                  leaderOf(topic, p), deleteTopic(name),
 *                  close()
 *
 * APIs and versions: api-versions.ts. Batches are stored as the producer sent them (only baseOffset and
 * partitionLeaderEpoch rewritten, both outside the CRC); nothing is persisted; no transactions, no
 * replication, no incremental fetch sessions, no KIP-848 groups (none of which is advertised).
 */
export { startEmbeddedKafka } from "./start.js";
export type {
  EmbeddedKafka,
  EmbeddedKafkaOptions,
  EmbeddedTopicSpec,
  GroupView,
  StoredMessage,
} from "./start.js";
export type { SeedMessage, NodeAddress } from "./cluster.js";
export { ADVERTISED as EMBEDDED_API_VERSIONS } from "./api-versions.js";
