// Fetch: whole stored batches from the requested offsets, by topic name (v4-12) or topic id (v13+),
// within partition_max_bytes and max_bytes (the first batch always whole, KIP-74), long-polling until
// min_bytes are available or max_wait_ms passes. No incremental fetch sessions are created (session id
// 0 in every answer), which Kafka permits and every client handles by sending full fetches.
import {
  KAFKA_ERRORS as E,
  type FetchRequest,
  type FetchResponse,
  type FetchResponseNodeEndpoint,
  type FetchResponsePartitionData,
} from "../../wire/index.js";
import type { Partition, Topic } from "../cluster.js";
import type { RequestContext } from "../request-context.js";

interface Wanted {
  topic: Topic | undefined;
  topicKey: { topic?: string; topicId?: string };
  partitionIndex: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
}

export async function fetch(ctx: RequestContext, req: FetchRequest): Promise<FetchResponse> {
  const { cluster, apiVersion } = ctx;
  const byIds = apiVersion >= 13;
  if (req.sessionId !== undefined && req.sessionId !== 0) {
    return { throttleTimeMs: 0, errorCode: E.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
  }
  const wanted: Wanted[] = req.topics.flatMap((t) => {
    const topic = byIds ? cluster.topicsById.get(t.topicId ?? "") : cluster.topics.get(t.topic ?? "");
    const topicKey = byIds ? { topicId: t.topicId } : { topic: t.topic };
    return t.partitions.map((p) => ({
      topic,
      topicKey,
      partitionIndex: p.partition,
      fetchOffset: p.fetchOffset,
      partitionMaxBytes: p.partitionMaxBytes,
    }));
  });

  let answer = build(ctx, req, wanted);
  if (answer.bytes >= req.minBytes || answer.hasError || req.maxWaitMs <= 0 || ctx.signal.aborted) {
    return answer.response;
  }
  // Long poll: wait for an append to any requested partition this node leads, the deadline, or close.
  const partitions = wanted.flatMap((w) => {
    const p = w.topic?.partitions[w.partitionIndex];
    return p ? [p] : [];
  });
  const deadline = Date.now() + req.maxWaitMs;
  while (!ctx.signal.aborted) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await waitForAppend(partitions, remaining, ctx.signal);
    answer = build(ctx, req, wanted);
    if (answer.bytes >= req.minBytes || answer.hasError) break;
  }
  return answer.response;
}

function waitForAppend(partitions: Partition[], ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stops: (() => void)[] = [];
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      for (const stop of stops) stop();
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
    for (const p of partitions) stops.push(p.log.onAppend(done));
  });
}

function build(
  ctx: RequestContext,
  req: FetchRequest,
  wanted: Wanted[],
): { response: FetchResponse; bytes: number; hasError: boolean } {
  const { cluster, node, apiVersion } = ctx;
  const readCommitted = req.isolationLevel === 1;
  let budget = req.maxBytes ?? 0x7fffffff;
  let bytes = 0;
  let hasError = false;
  const endpoints = new Map<number, FetchResponseNodeEndpoint>();
  const responses: FetchResponse["responses"] = [];

  for (const w of wanted) {
    let entry = responses.find((r) => (r.topic ?? r.topicId) === (w.topicKey.topic ?? w.topicKey.topicId));
    if (!entry) {
      entry = { ...w.topicKey, partitions: [] };
      responses.push(entry);
    }
    const partition = w.topic?.partitions[w.partitionIndex];
    const data = (errorCode: number, records: Buffer = Buffer.alloc(0)): FetchResponsePartitionData => {
      if (errorCode !== E.NONE) hasError = true;
      const log = partition?.log;
      return {
        partitionIndex: w.partitionIndex,
        errorCode,
        highWatermark: log ? log.highWatermark : -1n,
        lastStableOffset: log ? log.highWatermark : -1n,
        logStartOffset: log ? log.logStartOffset : -1n,
        abortedTransactions: readCommitted ? [] : null,
        preferredReadReplica: -1,
        records,
      };
    };
    if (!w.topic || cluster.topicsById.get(w.topic.id) !== w.topic) {
      entry.partitions.push(data(apiVersion >= 13 ? E.UNKNOWN_TOPIC_ID : E.UNKNOWN_TOPIC_OR_PARTITION));
      continue;
    }
    if (!partition) {
      entry.partitions.push(data(E.UNKNOWN_TOPIC_OR_PARTITION));
      continue;
    }
    if (partition.leaderId !== node.nodeId) {
      const leader = cluster.node(partition.leaderId)!;
      endpoints.set(leader.nodeId, { ...leader, rack: null });
      entry.partitions.push({
        ...data(E.NOT_LEADER_OR_FOLLOWER),
        currentLeader: { leaderId: leader.nodeId, leaderEpoch: partition.leaderEpoch },
      });
      continue;
    }
    const log = partition.log;
    if (w.fetchOffset < log.logStartOffset || w.fetchOffset > log.highWatermark) {
      entry.partitions.push(data(E.OFFSET_OUT_OF_RANGE));
      continue;
    }
    const limit = Math.min(w.partitionMaxBytes, budget);
    const chunks = log.read(w.fetchOffset, limit, bytes === 0);
    const records = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    bytes += records.length;
    budget = Math.max(0, budget - records.length);
    entry.partitions.push(data(E.NONE, records));
  }
  const response: FetchResponse = { throttleTimeMs: 0, errorCode: E.NONE, sessionId: 0, responses };
  if (apiVersion >= 16 && endpoints.size > 0) response.nodeEndpoints = [...endpoints.values()];
  return { response, bytes, hasError };
}
