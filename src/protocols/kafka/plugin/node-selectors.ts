// Leader-aware targets of service actions: `kafka.leader(topic="orders", partition=0)` and
// `kafka.follower(...)`, resolved when the action fires from a Metadata request through the service's
// proxy (the node ids are the brokers' own; the proxy only rewrites their addresses), and
// `kafka.controller()`, the active KRaft controller, from DescribeQuorum (which a broker forwards to
// the controller it knows). What the choice rested on (leader epoch, replicas, ISR; the quorum's epoch
// and voters) goes into the action's event.
import { setTimeout as sleep } from "node:timers/promises";
import { errorMessage, SpecError } from "../../../core/errors.js";
import type { Address, NodeSelectCall, ProtocolNodeSelector } from "../../../core/protocol.js";
import { kafkaErrorName } from "../wire/errors.js";
import { API_KEYS, WireConnection } from "./observer/wire-client.js";
import { saslFromEnv } from "./sasl.js";

const METADATA_V = 12;
/** A partition may have no leader for a moment (an election); asking again that long is enough. */
const NO_LEADER_WAIT_MS = 30_000;

export interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

function where(call: NodeSelectCall): { topic: string; partition: number } {
  const topic = call.args.topic;
  if (typeof topic !== "string" || topic === "") throw new SpecError("topic= must be a non-empty string");
  const partition = call.args.partition ?? 0;
  if (typeof partition !== "number" || !Number.isInteger(partition) || partition < 0)
    throw new SpecError(
      `partition= must be a partition number (0, 1, ...), got ${JSON.stringify(partition)}`,
    );
  return { topic, partition };
}

type MetadataCall = Pick<NodeSelectCall, "target" | "serviceEnv" | "service" | "signal">;

/** How long one broker may take to answer; a paused broker must not hold a selector long. */
const BROKER_TIMEOUT_MS = 5000;

/** Metadata for one topic, or for none (`null`: only the brokers). */
async function metadataFrom(call: MetadataCall, at: Address, topic: string | null) {
  const conn = new WireConnection(at, saslFromEnv(call.serviceEnv, call.service), BROKER_TIMEOUT_MS);
  try {
    return await conn.request(API_KEYS.Metadata, METADATA_V, {
      topics: topic === null ? [] : [{ name: topic }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
  } finally {
    conn.close();
  }
}

/** How many times the bootstrap address is asked before the error is the answer. */
const BOOTSTRAP_ATTEMPTS = 3;

/**
 * Metadata from the cluster's bootstrap address (the proxy's bootstrap listener). Right after a broker
 * is killed, the proxy may still send one new bootstrap connection to it; the broker refuses, the proxy
 * closes the connection and sends the next ones to another broker of the cluster. So a failed ask is
 * tried again, a bounded number of times, before its error is reported.
 */
async function bootstrapMetadata(call: MetadataCall, topic: string | null) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await metadataFrom(call, call.target, topic);
    } catch (err) {
      if (attempt >= BOOTSTRAP_ATTEMPTS || call.signal?.aborted) throw err;
      await sleep(200 * attempt);
    }
  }
}

/**
 * Every broker seen through a bootstrap address (the proxy's), by node id. A broker cut off from the
 * others may answer Metadata with a list of live brokers that names only itself (its controller, cut
 * off too, stopped hearing the others), so the brokers a selector asks are every one an answer through
 * this address ever named, newer answers replacing a node's address, limited to the service's nodes.
 */
const seenBrokers = new Map<string, Map<number, Address>>();

function brokersToAsk(
  call: MetadataCall & { nodes?: readonly number[] },
  answered: { nodeId: number; host: string; port: number }[],
): { nodeId: number; address: Address }[] {
  const key = `${call.target.host}:${call.target.port}`;
  let seen = seenBrokers.get(key);
  if (!seen) seenBrokers.set(key, (seen = new Map()));
  for (const b of answered)
    seen.set(b.nodeId, { host: b.host === "localhost" ? "127.0.0.1" : b.host, port: b.port });
  return [...seen]
    .filter(([nodeId]) => !call.nodes || call.nodes.includes(nodeId))
    .sort((a, b) => a[0] - b[0])
    .map(([nodeId, address]) => ({ nodeId, address }));
}

/**
 * Every partition of a topic (leader -1 while it has none), as the cluster knows it now. A broker cut
 * off from the others (a partition) still answers with what it last knew, so every broker is asked,
 * each through its listener on the proxy, and each partition's answer with the highest leader epoch
 * wins: that is the newest leader the cluster elected. Between answers with the same leader epoch, the
 * leader's own answer wins: an ISR change (a follower cut off and fenced) keeps the leader epoch, and
 * the cut-off follower still reports the ISR it last knew, while the leader hears of the change.
 */
export async function topicPartitions(call: MetadataCall, topic: string): Promise<PartitionState[]> {
  const first = await bootstrapMetadata(call, topic);
  // Each answer with the node that gave it (-1: the bootstrap answer, from whichever broker took it).
  const answers = [{ from: -1, md: first }];
  const brokers = brokersToAsk(call, first.brokers);
  const others = await Promise.allSettled(brokers.map((b) => metadataFrom(call, b.address, topic)));
  for (const [i, r] of others.entries())
    if (r.status === "fulfilled") answers.push({ from: brokers[i]!.nodeId, md: r.value });
  const t = first.topics.find((x) => x.name === topic);
  if (!t) throw new Error(`topic "${topic}" is not in the metadata`);
  if (t.errorCode !== 0) throw new Error(`topic "${topic}": ${kafkaErrorName(t.errorCode)}`);
  const newest = new Map<number, PartitionState & { from: number }>();
  for (const { from, md } of answers) {
    const mt = md.topics.find((x) => x.name === topic && x.errorCode === 0);
    for (const p of mt?.partitions ?? []) {
      const state = {
        from,
        topic,
        partition: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch ?? -1,
        replicas: [...p.replicaNodes],
        isr: [...p.isrNodes],
      };
      const known = newest.get(state.partition);
      const newer =
        !known ||
        state.leaderEpoch > known.leaderEpoch ||
        (state.leaderEpoch === known.leaderEpoch && from === state.leader && known.from !== known.leader);
      if (newer) newest.set(state.partition, state);
    }
  }
  return [...newest.values()]
    .sort((a, b) => a.partition - b.partition)
    .map(({ from: _from, ...state }) => state);
}

/**
 * The partition's leader, replicas and ISR as the cluster's Metadata reports them now; asks again for
 * a while when the topic is not there yet or the partition has no leader (an election).
 */
export async function partitionState(
  call: MetadataCall,
  topic: string,
  partition: number,
): Promise<PartitionState> {
  const deadline = Date.now() + NO_LEADER_WAIT_MS;
  let last = "";
  for (;;) {
    try {
      const all = await topicPartitions(call, topic);
      const p = all.find((x) => x.partition === partition);
      if (!p) throw new SpecError(`topic "${topic}" has partitions 0..${all.length - 1}, not ${partition}`);
      if (p.leader >= 0) return p;
      last = `partition ${topic}/${partition} has no leader`;
    } catch (err) {
      if (err instanceof SpecError) throw err;
      last = (err as Error).message;
      // An unknown topic or a leader election may pass; anything else will not.
      if (
        !/UNKNOWN_TOPIC_OR_PARTITION|LEADER_NOT_AVAILABLE|not in the metadata|ECONNREFUSED|did not (answer|accept)/.test(
          last,
        )
      )
        throw err;
    }
    if (Date.now() > deadline || call.signal.aborted) throw new Error(last);
    await sleep(250);
  }
}

/** The KRaft metadata quorum: its leader is the active controller. */
export interface QuorumState {
  leader: number;
  leaderEpoch: number;
  highWatermark: number;
  voters: number[];
  observers: number[];
}

/** What one broker answered: its controller's view of the quorum, or why it did not answer. */
export type BrokerQuorumView =
  { node: number; leader: number; leaderEpoch: number } | { node: number; error: string };

const METADATA_TOPIC = "__cluster_metadata";
const DESCRIBE_QUORUM_V = 1;

async function quorumFrom(call: MetadataCall, at: Address): Promise<QuorumState> {
  const conn = new WireConnection(at, saslFromEnv(call.serviceEnv, call.service), BROKER_TIMEOUT_MS);
  try {
    const r = await conn.request(API_KEYS.DescribeQuorum, DESCRIBE_QUORUM_V, {
      topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }],
    });
    if (r.errorCode !== 0) throw new Error(`DescribeQuorum: ${kafkaErrorName(r.errorCode)}`);
    const p = r.topics.find((t) => t.topicName === METADATA_TOPIC)?.partitions[0];
    if (!p) throw new Error(`DescribeQuorum: no ${METADATA_TOPIC} partition in the answer`);
    if (p.errorCode !== 0) throw new Error(`DescribeQuorum: ${kafkaErrorName(p.errorCode)}`);
    return {
      leader: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      highWatermark: Number(p.highWatermark),
      voters: p.currentVoters.map((v) => v.replicaId).sort((a, b) => a - b),
      observers: p.observers.map((v) => v.replicaId).sort((a, b) => a - b),
    };
  } finally {
    conn.close();
  }
}

/**
 * The metadata quorum as the cluster knows it now, asked of every broker (each through its listener on
 * the proxy; each forwards the question to the controller it knows). A broker cut off from the others
 * may still answer from its own controller, which believes it leads, so the answer naming a leader with
 * the highest epoch wins: that is the newest controller the quorum elected. During an election no
 * answer names a leader; it is asked again for up to 30 s.
 */
export async function quorumState(call: MetadataCall): Promise<QuorumState & { views: BrokerQuorumView[] }> {
  const deadline = Date.now() + NO_LEADER_WAIT_MS;
  let last = "";
  for (;;) {
    try {
      const brokers = brokersToAsk(call, (await bootstrapMetadata(call, null)).brokers);
      const answers = await Promise.allSettled(brokers.map((b) => quorumFrom(call, b.address)));
      let best: QuorumState | undefined;
      // In node order, as brokersToAsk gives them.
      const views: BrokerQuorumView[] = [];
      for (const [i, a] of answers.entries()) {
        const node = brokers[i]!.nodeId;
        if (a.status === "rejected") {
          views.push({ node, error: errorMessage(a.reason) });
          continue;
        }
        views.push({ node, leader: a.value.leader, leaderEpoch: a.value.leaderEpoch });
        if (a.value.leader >= 0 && (!best || a.value.leaderEpoch > best.leaderEpoch)) best = a.value;
      }
      if (best) return { ...best, views };
      const failures = views.flatMap((v) => ("error" in v ? [`node ${v.node}: ${v.error}`] : []));
      last = failures.length
        ? `no broker named the active controller (${failures.join("; ")})`
        : "the metadata quorum has no leader (an election)";
    } catch (err) {
      last = errorMessage(err);
    }
    if (Date.now() > deadline || call.signal.aborted) throw new Error(last);
    await sleep(250);
  }
}

function info(s: PartitionState): Record<string, unknown> {
  return {
    topic: s.topic,
    partition: s.partition,
    leader: s.leader,
    leader_epoch: s.leaderEpoch,
    replicas: s.replicas,
    isr: s.isr,
  };
}

export const kafkaNodeSelectors: Record<string, ProtocolNodeSelector> = {
  /** leader(topic=, partition=0): the partition's leader now. */
  leader: {
    params: ["topic", "partition"],
    required: ["topic"],
    async resolve(call) {
      const { topic, partition } = where(call);
      const s = await partitionState(call, topic, partition);
      return { node: s.leader, info: info(s) };
    },
  },
  /**
   * follower(topic=, partition=0): a replica that is not the leader, the first in the replica list
   * that is in sync (else the first out of sync one).
   */
  follower: {
    params: ["topic", "partition"],
    required: ["topic"],
    async resolve(call) {
      const { topic, partition } = where(call);
      const s = await partitionState(call, topic, partition);
      const others = s.replicas.filter((r) => r !== s.leader);
      const chosen = others.find((r) => s.isr.includes(r)) ?? others[0];
      if (chosen === undefined)
        throw new Error(
          `partition ${topic}/${partition} has no follower: its only replica is the leader, node ${s.leader} (replication factor 1)`,
        );
      return { node: chosen, info: info(s) };
    },
  },
  /** controller(): the active KRaft controller now (the metadata quorum's leader). */
  controller: {
    params: [],
    async resolve(call) {
      const q = await quorumState(call);
      return {
        node: q.leader,
        info: { controller: q.leader, quorum_epoch: q.leaderEpoch, voters: q.voters },
      };
    },
  },
};
