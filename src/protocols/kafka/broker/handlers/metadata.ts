// Metadata: brokers, controller, and per-topic partition leaders; auto-creates requested topics when
// the request allows it (always for v0-3, allowAutoTopicCreation from v4), as Kafka does.
import {
  KAFKA_ERRORS as E,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseMetadataResponseTopic,
} from "../../wire/index.js";
import { topicNameProblem, type Topic } from "../cluster.js";
import type { RequestContext } from "../request-context.js";

export function describeTopic(t: Topic): MetadataResponseMetadataResponseTopic {
  return {
    errorCode: E.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: false,
    partitions: t.partitions.map((p) => ({
      errorCode: E.NONE,
      partitionIndex: p.index,
      leaderId: p.leaderId,
      // No leader epochs are published, so clients skip OffsetForLeaderEpoch validation (§7.1).
      leaderEpoch: -1,
      replicaNodes: [p.leaderId],
      isrNodes: [p.leaderId],
      offlineReplicas: [],
    })),
  };
}

function missingTopic(
  name: string | null,
  topicId: string | undefined,
  errorCode: number,
): MetadataResponseMetadataResponseTopic {
  return { errorCode, name, ...(topicId ? { topicId } : {}), isInternal: false, partitions: [] };
}

export function metadata(ctx: RequestContext, req: MetadataRequest): MetadataResponse {
  const { cluster, apiVersion } = ctx;
  const all = req.topics === null || (apiVersion === 0 && req.topics.length === 0);
  const autoCreate = apiVersion < 4 || req.allowAutoTopicCreation === true;
  const topics = all
    ? [...cluster.topics.values()].map(describeTopic)
    : req.topics!.map((wanted) => {
        if (wanted.name === null || wanted.name === undefined) {
          const t = wanted.topicId ? cluster.topicsById.get(wanted.topicId) : undefined;
          return t ? describeTopic(t) : missingTopic(null, wanted.topicId, E.UNKNOWN_TOPIC_ID);
        }
        if (topicNameProblem(wanted.name))
          return missingTopic(wanted.name, undefined, E.INVALID_TOPIC_EXCEPTION);
        const t = autoCreate ? cluster.topicOrAutoCreate(wanted.name) : cluster.topics.get(wanted.name);
        return t ? describeTopic(t) : missingTopic(wanted.name, undefined, E.UNKNOWN_TOPIC_OR_PARTITION);
      });
  return {
    throttleTimeMs: 0,
    brokers: cluster.nodes.map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.port, rack: null })),
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId,
    topics,
  };
}
