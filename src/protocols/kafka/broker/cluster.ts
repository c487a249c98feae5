// The state shared by every node of one embedded cluster: topics and their partition logs, which node
// leads each partition, producer ids and consumer groups. Nodes (node-server.ts) answer requests
// against it; it knows nothing of sockets.
import { randomBytes } from "node:crypto";
import { encodeRecordBatch, KAFKA_ERRORS, uuidToString, type NewRecord } from "../wire/index.js";
import { GroupCoordinator, type GroupSettings } from "./group-coordinator.js";
import { partitionForKey } from "./murmur2.js";
import { PartitionLog } from "./partition-log.js";

export interface NodeAddress {
  nodeId: number;
  host: string;
  port: number;
}

export interface Partition {
  index: number;
  leaderId: number;
  /** Bumped on every leader move; batches carry it as partitionLeaderEpoch. */
  leaderEpoch: number;
  log: PartitionLog;
}

export interface Topic {
  name: string;
  /** Kafka's 22-character base64url form. */
  id: string;
  partitions: Partition[];
}

export interface SeedMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer> | { key: string; value: string | Buffer | null }[];
  /** Partition to write to; default: Java's murmur2 partitioner for keyed records, else round-robin. */
  partition?: number;
  timestamp?: number | bigint;
}

export interface ClusterSettings extends GroupSettings {
  autoCreateTopics: boolean;
  defaultPartitions: number;
}

/** Kafka's legal topic names: 1..249 characters of [a-zA-Z0-9._-], not "." or "..". */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === "." || name === "..") return 'Topic name cannot be "." or ".."';
  if (name.length > 249)
    return `Topic name is illegal, it can't be longer than 249 characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

function newTopicId(): string {
  for (;;) {
    const id = uuidToString(randomBytes(16));
    // Kafka never hands out ids whose text starts with '-' (they would read as command-line flags).
    if (!id.startsWith("-") && id !== "AAAAAAAAAAAAAAAAAAAAAA") return id;
  }
}

export class Cluster {
  readonly clusterId = uuidToString(randomBytes(16));
  readonly nodes: NodeAddress[] = [];
  readonly topics = new Map<string, Topic>();
  readonly topicsById = new Map<string, Topic>();
  readonly groups: GroupCoordinator;
  private nextProducerId = 1000n;
  private roundRobin = 0;
  private topicsCreated = 0;

  constructor(readonly settings: ClusterSettings) {
    this.groups = new GroupCoordinator(settings);
  }

  get controllerId(): number {
    return this.nodes[0]?.nodeId ?? -1;
  }

  node(nodeId: number): NodeAddress | undefined {
    return this.nodes.find((n) => n.nodeId === nodeId);
  }

  /** The node coordinating a group (or a transactional id): a stable hash over the nodes. */
  coordinatorFor(key: string): NodeAddress {
    let h = 0;
    for (const c of Buffer.from(key, "utf8")) h = (Math.imul(h, 31) + c) | 0;
    return this.nodes[(h & 0x7fffffff) % this.nodes.length]!;
  }

  /** Creates a topic with leaders spread round-robin over the nodes; throws if it exists or is invalid. */
  createTopic(name: string, partitions = this.settings.defaultPartitions, leaders?: number[]): Topic {
    const problem = topicNameProblem(name);
    if (problem) throw new Error(problem);
    if (this.topics.has(name)) throw new Error(`Topic '${name}' already exists.`);
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new Error(`Number of partitions must be at least 1, got ${partitions} for topic '${name}'`);
    }
    const offset = this.topicsCreated++;
    const topic: Topic = {
      name,
      id: newTopicId(),
      partitions: Array.from({ length: partitions }, (_, index) => ({
        index,
        leaderId: leaders?.[index] ?? this.nodes[(offset + index) % this.nodes.length]!.nodeId,
        leaderEpoch: 0,
        log: new PartitionLog(name, index),
      })),
    };
    this.topics.set(name, topic);
    this.topicsById.set(topic.id, topic);
    return topic;
  }

  /** Removes a topic and its data; returns false if there is no such topic. */
  deleteTopic(name: string): boolean {
    const t = this.topics.get(name);
    if (!t) return false;
    this.topics.delete(name);
    this.topicsById.delete(t.id);
    // Wake long polls on its partitions: they re-read and find the topic gone.
    for (const p of t.partitions) p.log.wakeAll();
    return true;
  }

  /** The topic, created with the default partition count when auto-creation is on; else undefined. */
  topicOrAutoCreate(name: string): Topic | undefined {
    const t = this.topics.get(name);
    if (t || !this.settings.autoCreateTopics || topicNameProblem(name)) return t;
    return this.createTopic(name);
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  /** Makes `nodeId` the leader; the old leader then answers NOT_LEADER_OR_FOLLOWER for it. */
  moveLeader(topic: string, partition: number, nodeId: number): void {
    const p = this.partition(topic, partition);
    if (!p) throw new Error(`unknown partition ${topic}-${partition}`);
    if (!this.node(nodeId)) {
      throw new Error(`unknown node ${nodeId} (nodes: ${this.nodes.map((n) => n.nodeId).join(", ")})`);
    }
    if (p.leaderId === nodeId) return;
    p.leaderId = nodeId;
    p.leaderEpoch++;
  }

  /** Appends records outside any producer (no producer id), e.g. to pre-seed a topic. */
  produce(topicName: string, messages: SeedMessage[]): { partition: number; offset: bigint }[] {
    const topic = this.topicOrAutoCreate(topicName);
    if (!topic) throw new Error(`unknown topic '${topicName}' (auto-creation is off)`);
    return messages.map((m) => {
      const key = m.key == null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key, "utf8");
      const index =
        m.partition ??
        (key ? partitionForKey(key, topic.partitions.length) : this.roundRobin++ % topic.partitions.length);
      const p = topic.partitions[index];
      if (!p) throw new Error(`topic '${topicName}' has no partition ${index}`);
      const headers = Array.isArray(m.headers)
        ? m.headers
        : Object.entries(m.headers ?? {}).map(([k, value]) => ({ key: k, value }));
      const record: NewRecord = { key, value: m.value, headers };
      if (m.timestamp !== undefined) record.timestamp = BigInt(m.timestamp);
      const result = p.log.append(encodeRecordBatch([record]), undefined, p.leaderEpoch);
      if (result.errorCode !== 0) throw new Error(`could not append to ${topicName}-${index}`);
      return { partition: index, offset: (result as { baseOffset: bigint }).baseOffset };
    });
  }

  /**
   * InitProducerId without a transactional id, answered as Kafka's transaction coordinator answers it:
   * always a fresh producer id at epoch 0. The id and epoch the request presents (v3+) are not looked
   * at (KIP-360's epoch bump is for transactional ids; an idempotent Java producer bumps its epoch
   * itself), except that setting one without the other is INVALID_REQUEST, as in KafkaApis.
   */
  initProducerId(
    producerId: bigint,
    producerEpoch: number,
  ): { errorCode: number; producerId: bigint; epoch: number } {
    if ((producerId === -1n) !== (producerEpoch === -1)) {
      return { errorCode: KAFKA_ERRORS.INVALID_REQUEST, producerId: -1n, epoch: -1 };
    }
    return { errorCode: 0, producerId: this.nextProducerId++, epoch: 0 };
  }
}
