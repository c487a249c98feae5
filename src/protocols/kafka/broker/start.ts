// startEmbeddedKafka: an in-process Kafka cluster of one or more nodes on loopback ports.
import { Cluster, type NodeAddress, type SeedMessage } from "./cluster.js";
import { NodeServer, type ProtocolErrorListener } from "./node-server.js";
import { readRecords } from "../wire/index.js";

export interface EmbeddedTopicSpec {
  name: string;
  partitions?: number;
  messages?: SeedMessage[];
}

export interface EmbeddedKafkaOptions {
  /** Number of broker nodes (ids 1..n), each on its own port. Default 1. */
  brokers?: number;
  /** Address to bind and advertise. Default "127.0.0.1". */
  host?: string;
  /** Fixed ports, one per broker; default: free ports chosen by the OS. */
  ports?: number[];
  topics?: EmbeddedTopicSpec[];
  /** Create unknown topics on Metadata requests that allow it (auto.create.topics.enable). Default true. */
  autoCreateTopics?: boolean;
  /** Partitions of auto-created topics and of CreateTopics with num_partitions -1. Default 1. */
  defaultPartitions?: number;
  /** group.initial.rebalance.delay.ms. Default 100 (Kafka: 3000) so tests do not wait. */
  initialRebalanceDelayMs?: number;
  /** group.min.session.timeout.ms (Kafka: 6000; default here 1000 so session expiry can be tested). */
  minSessionTimeoutMs?: number;
  /** Connections closed for protocol reasons (malformed frame, unsupported API) are reported here. Default: stderr. */
  onProtocolError?: ProtocolErrorListener;
}

export interface StoredMessage {
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
  /** The batch's producer id: -1 unless an idempotent producer wrote it. */
  producerId: bigint;
}

export interface GroupView {
  state: string;
  generationId: number;
  protocolName: string | null;
  leader: string | null;
  members: { memberId: string; clientId: string; assignment: Buffer }[];
}

export interface EmbeddedKafka {
  /** "host:port,host:port" of every node. */
  bootstrap: string;
  brokers: NodeAddress[];
  clusterId: string;
  createTopic(name: string, partitions?: number): void;
  /** Removes a topic and its records; false if there was none. */
  deleteTopic(name: string): boolean;
  /** Appends records as a non-idempotent producer would (keyed records go where Java's partitioner puts them). */
  produce(topic: string, messages: SeedMessage[]): { partition: number; offset: bigint }[];
  /** Every stored record of a topic (batches in any codec), in partition then offset order. */
  messages(topic: string): StoredMessage[];
  /** The next offset of a partition (its high watermark). */
  endOffset(topic: string, partition: number): bigint;
  /** Committed offset of a consumer group for a partition, or undefined. */
  committedOffset(groupId: string, topic: string, partition: number): bigint | undefined;
  /** A consumer group's state as the coordinator sees it, or undefined if it does not exist. */
  group(groupId: string): GroupView | undefined;
  /** Makes nodeId lead the partition; its old leader answers NOT_LEADER_OR_FOLLOWER from now on. */
  moveLeader(topic: string, partition: number, nodeId: number): void;
  /** The node leading a partition. */
  leaderOf(topic: string, partition: number): number;
  close(): Promise<void>;
}

export async function startEmbeddedKafka(options: EmbeddedKafkaOptions = {}): Promise<EmbeddedKafka> {
  const count = options.brokers ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`brokers must be a positive integer, got ${count}`);
  if (options.ports && options.ports.length !== count) {
    throw new Error(`ports names ${options.ports.length} port(s) for ${count} broker(s)`);
  }
  const host = options.host ?? "127.0.0.1";
  const cluster = new Cluster({
    autoCreateTopics: options.autoCreateTopics ?? true,
    defaultPartitions: options.defaultPartitions ?? 1,
    initialRebalanceDelayMs: options.initialRebalanceDelayMs ?? 100,
    minSessionTimeoutMs: options.minSessionTimeoutMs ?? 1000,
    maxSessionTimeoutMs: 1800000,
  });
  const onProtocolError = options.onProtocolError ?? ((m: string) => process.stderr.write(`${m}\n`));
  const servers = Array.from(
    { length: count },
    (_, i) => new NodeServer(cluster, i + 1, host, onProtocolError),
  );
  try {
    await Promise.all(servers.map((s, i) => s.listen(options.ports?.[i] ?? 0)));
  } catch (e) {
    await Promise.all(servers.map((s) => s.close().catch(() => {})));
    throw new Error(
      `embedded Kafka could not listen on ${host}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  for (const s of servers) cluster.nodes.push(s.address);
  for (const t of options.topics ?? []) {
    cluster.createTopic(t.name, t.partitions ?? cluster.settings.defaultPartitions);
    if (t.messages?.length) cluster.produce(t.name, t.messages);
  }

  const partitionOf = (topic: string, partition: number) => {
    const p = cluster.partition(topic, partition);
    if (!p) throw new Error(`unknown partition ${topic}-${partition}`);
    return p;
  };
  let closed: Promise<void> | undefined;
  return {
    bootstrap: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(","),
    brokers: cluster.nodes.map((n) => ({ ...n })),
    clusterId: cluster.clusterId,
    createTopic: (name, partitions) =>
      void cluster.createTopic(name, partitions ?? cluster.settings.defaultPartitions),
    deleteTopic: (name) => cluster.deleteTopic(name),
    produce: (topic, messages) => cluster.produce(topic, messages),
    messages(topic) {
      const t = cluster.topics.get(topic);
      if (!t) throw new Error(`unknown topic '${topic}'`);
      return t.partitions.flatMap((p) =>
        [...p.log.batches()].flatMap((b) => {
          const baseTimestamp = b.bytes.readBigInt64BE(27);
          const producerId = b.bytes.readBigInt64BE(43);
          return readRecords(b.bytes).map((r) => ({
            partition: p.index,
            offset: b.baseOffset + BigInt(r.offsetDelta),
            timestamp: baseTimestamp + r.timestampDelta,
            key: r.key,
            value: r.value,
            headers: r.headers,
            producerId,
          }));
        }),
      );
    },
    endOffset: (topic, partition) => partitionOf(topic, partition).log.highWatermark,
    committedOffset: (groupId, topic, partition) =>
      cluster.groups.groups.get(groupId)?.offsets.get(`${topic}\u0000${partition}`)?.offset,
    group(groupId) {
      const g = cluster.groups.groups.get(groupId);
      if (!g) return undefined;
      return {
        state: g.state,
        generationId: g.generationId,
        protocolName: g.protocolName,
        leader: g.leaderId,
        members: [...g.members.values()].map((m) => ({
          memberId: m.id,
          clientId: m.clientId,
          assignment: m.assignment,
        })),
      };
    },
    moveLeader: (topic, partition, nodeId) => cluster.moveLeader(topic, partition, nodeId),
    leaderOf: (topic, partition) => partitionOf(topic, partition).leaderId,
    close() {
      closed ??= (async () => {
        cluster.groups.shutdown();
        await Promise.all(servers.map((s) => s.close()));
      })();
      return closed;
    },
  };
}
