// ListOffsets: -1 latest (high watermark), -2 earliest, -3 the record with the largest timestamp
// (KIP-734), -4 earliest local (= earliest: nothing is tiered), a timestamp >= 0: the first record at or
// after it. Other negative specials (tiered storage) find nothing.
import {
  KAFKA_ERRORS as E,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from "../../wire/index.js";
import type { RequestContext } from "../request-context.js";

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;

export function listOffsets(ctx: RequestContext, req: ListOffsetsRequest): ListOffsetsResponse {
  const { cluster, node, apiVersion } = ctx;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): ListOffsetsResponseListOffsetsPartitionResponse => {
        const answer = (errorCode: number, offset = -1n, timestamp = -1n) => ({
          partitionIndex: p.partitionIndex,
          errorCode,
          oldStyleOffsets: apiVersion === 0 && offset >= 0n ? [offset] : [],
          timestamp,
          offset,
          leaderEpoch: -1,
        });
        const partition = cluster.partition(t.name, p.partitionIndex);
        if (!partition) return answer(E.UNKNOWN_TOPIC_OR_PARTITION);
        if (partition.leaderId !== node.nodeId) return answer(E.NOT_LEADER_OR_FOLLOWER);
        const log = partition.log;
        if (p.timestamp === LATEST) return answer(E.NONE, log.highWatermark);
        if (p.timestamp === EARLIEST || p.timestamp === EARLIEST_LOCAL)
          return answer(E.NONE, log.logStartOffset);
        if (p.timestamp === MAX_TIMESTAMP) {
          const hit = log.maxTimestampOffset();
          return hit ? answer(E.NONE, hit.offset, hit.timestamp) : answer(E.NONE);
        }
        if (p.timestamp < 0n) return answer(E.NONE);
        const hit = log.offsetForTimestamp(p.timestamp);
        return hit ? answer(E.NONE, hit.offset, hit.timestamp) : answer(E.NONE);
      }),
    })),
  };
}
