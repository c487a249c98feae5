// Leader-aware targets of service actions: `kafka.leader(topic="orders", partition=0)` and
// `kafka.follower(...)`, resolved when the action fires from a Metadata request through the service's
// proxy (the node ids are the brokers' own; the proxy only rewrites their addresses). What the choice
// rested on (leader epoch, replicas, ISR) goes into the action's event.
import { setTimeout as sleep } from "node:timers/promises";
import { SpecError } from "../../../core/errors.js";
import type { NodeSelectCall, ProtocolNodeSelector } from "../../../core/protocol.js";
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

/** The partition's leader, replicas and ISR as the cluster's Metadata reports them now. */
export async function partitionState(
  call: Pick<NodeSelectCall, "target" | "serviceEnv" | "service" | "signal">,
  topic: string,
  partition: number,
): Promise<PartitionState> {
  const deadline = Date.now() + NO_LEADER_WAIT_MS;
  let last = "";
  for (;;) {
    const conn = new WireConnection(call.target, saslFromEnv(call.serviceEnv, call.service));
    try {
      const md = await conn.request(API_KEYS.Metadata, METADATA_V, {
        topics: [{ name: topic }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      });
      const t = md.topics.find((x) => x.name === topic);
      if (!t || t.errorCode !== 0) {
        last = `topic "${topic}": ${t ? kafkaErrorName(t.errorCode) : "not in the metadata"}`;
        if (t && t.errorCode !== 3 && t.errorCode !== 5) throw new Error(last); // not UNKNOWN_TOPIC / LEADER_NOT_AVAILABLE
      } else {
        const p = t.partitions.find((x) => x.partitionIndex === partition);
        if (!p)
          throw new Error(`topic "${topic}" has partitions 0..${t.partitions.length - 1}, not ${partition}`);
        if (p.leaderId >= 0) {
          return {
            topic,
            partition,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch ?? -1,
            replicas: [...p.replicaNodes],
            isr: [...p.isrNodes],
          };
        }
        last = `partition ${topic}/${partition} has no leader (${kafkaErrorName(p.errorCode)})`;
      }
    } finally {
      conn.close();
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
};
