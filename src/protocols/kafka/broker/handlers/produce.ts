// Produce: acks 0/1/all, one magic-2 batch per partition (v3+), CRC and record-count checks, idempotent
// sequence checks (partition-log.ts), NOT_LEADER_OR_FOLLOWER with the current leader (v10+) when this
// node does not lead the partition. acks=0 gets no answer; on an error the connection is closed
// instead, which is how Kafka tells such a producer to refresh its metadata (§3.3).
import {
  batchCrcValid,
  KAFKA_ERRORS as E,
  splitBatches,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponseNodeEndpoint,
  type ProduceResponsePartitionProduceResponse,
} from "../../wire/index.js";
import {
  CLOSE_CONNECTION,
  NO_RESPONSE,
  type HandlerResult,
  type RequestContext,
} from "../request-context.js";

type PartitionAnswer = ProduceResponsePartitionProduceResponse;

export function produce(ctx: RequestContext, req: ProduceRequest): HandlerResult<0> {
  const { cluster, node, apiVersion } = ctx;
  const endpoints = new Map<number, ProduceResponseNodeEndpoint>();
  let anyError = false;
  const invalidAcks = req.acks !== 0 && req.acks !== 1 && req.acks !== -1;

  const responses = req.topicData.map((t) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((pd): PartitionAnswer => {
      const answer = (
        errorCode: number,
        errorMessage: string | null = null,
        baseOffset = -1n,
      ): PartitionAnswer => {
        if (errorCode !== E.NONE) anyError = true;
        return {
          index: pd.index,
          errorCode,
          baseOffset,
          logAppendTimeMs: -1n,
          logStartOffset: partition ? partition.log.logStartOffset : -1n,
          recordErrors: [],
          errorMessage,
        };
      };
      // Topic names are in every Produce version the broker advertises (up to v11, see api-versions.ts).
      const partition = cluster.partition(t.name ?? "", pd.index);
      if (invalidAcks) return answer(E.INVALID_REQUIRED_ACKS);
      if (!partition) return answer(E.UNKNOWN_TOPIC_OR_PARTITION);
      if (partition.leaderId !== node.nodeId) {
        const leader = cluster.node(partition.leaderId)!;
        endpoints.set(leader.nodeId, { ...leader, rack: null });
        return {
          ...answer(E.NOT_LEADER_OR_FOLLOWER),
          currentLeader: { leaderId: leader.nodeId, leaderEpoch: partition.leaderEpoch },
        };
      }
      const records = pd.records ?? Buffer.alloc(0);
      const { batches, rest } = splitBatches(records);
      if (rest !== records.length || batches.length === 0) {
        const magic = records.length > 16 ? records.readInt8(16) : -1;
        return magic === 0 || magic === 1
          ? answer(
              E.UNSUPPORTED_FOR_MESSAGE_FORMAT,
              "the embedded broker stores record batches v2 (magic 2) only",
            )
          : answer(E.CORRUPT_MESSAGE, "the records are not complete magic-2 record batches");
      }
      if (batches.length > 1) {
        return answer(E.INVALID_RECORD, "Compressed outer record has more than one batch");
      }
      const { header, bytes } = batches[0]!;
      if (!batchCrcValid(bytes))
        return answer(E.CORRUPT_MESSAGE, "Record batch CRC does not match its contents");
      if (header.isControl)
        return answer(E.INVALID_RECORD, "Clients are not allowed to write control records");
      if (header.isTransactional) {
        return answer(E.INVALID_TXN_STATE, "the embedded broker does not support transactions");
      }
      if (header.recordsCount !== header.lastOffsetDelta + 1 || header.recordsCount <= 0) {
        return answer(
          E.INVALID_RECORD,
          `Inner record count ${header.recordsCount} disagrees with lastOffsetDelta ${header.lastOffsetDelta}`,
        );
      }
      if (header.producerId >= 0n && header.baseSequence < 0) {
        return answer(
          E.INVALID_RECORD,
          `Invalid sequence number ${header.baseSequence} for an idempotent batch`,
        );
      }
      const result = partition.log.append(bytes, header, partition.leaderEpoch);
      if (result.errorCode !== E.NONE)
        return answer(result.errorCode, "message" in result ? result.message : null);
      return answer(E.NONE, null, (result as { baseOffset: bigint }).baseOffset);
    }),
  }));

  if (req.acks === 0) return anyError ? CLOSE_CONNECTION : NO_RESPONSE;
  const response: ProduceResponse = { responses, throttleTimeMs: 0 };
  if (apiVersion >= 10 && endpoints.size > 0) response.nodeEndpoints = [...endpoints.values()];
  return response;
}
