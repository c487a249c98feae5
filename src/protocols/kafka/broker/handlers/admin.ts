// CreateTopics, DeleteTopics, DescribeConfigs, InitProducerId (idempotent producers; transactions are not
// offered) and DescribeCluster.
import {
  KAFKA_ERRORS as E,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from "../../wire/index.js";
import { topicNameProblem } from "../cluster.js";
import type { RequestContext } from "../request-context.js";

export function createTopics(ctx: RequestContext, req: CreateTopicsRequest): CreateTopicsResponse {
  const { cluster } = ctx;
  const seen = new Set<string>();
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const fail = (errorCode: number, errorMessage: string) => ({
        name: t.name,
        errorCode,
        errorMessage,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      });
      if (seen.has(t.name)) return fail(E.INVALID_REQUEST, `Duplicate topic name ${t.name} in the request`);
      seen.add(t.name);
      const problem = topicNameProblem(t.name);
      if (problem) return fail(E.INVALID_TOPIC_EXCEPTION, problem);
      if (cluster.topics.has(t.name))
        return fail(E.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      let leaders: number[] | undefined;
      let partitions = t.numPartitions === -1 ? cluster.settings.defaultPartitions : t.numPartitions;
      if (t.assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          return fail(
            E.INVALID_REQUEST,
            "Both numPartitions or replicationFactor and replicasAssignments were set.",
          );
        }
        const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
        if (
          sorted.some(
            (a, i) => a.partitionIndex !== i || a.brokerIds.length === 0 || !cluster.node(a.brokerIds[0]!),
          )
        ) {
          return fail(
            E.INVALID_REPLICA_ASSIGNMENT,
            "Replica assignments must name live brokers for partitions 0..n-1",
          );
        }
        partitions = sorted.length;
        leaders = sorted.map((a) => a.brokerIds[0]!);
      }
      if (partitions <= 0) return fail(E.INVALID_PARTITIONS, "Number of partitions must be larger than 0.");
      const replication = t.replicationFactor === -1 ? 1 : t.replicationFactor;
      if (replication <= 0)
        return fail(E.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0.");
      if (replication > cluster.nodes.length) {
        return fail(
          E.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${replication} time(s): The target replication factor of ${replication} cannot be reached because only ${cluster.nodes.length} broker(s) are registered.`,
        );
      }
      const topic = req.validateOnly ? undefined : cluster.createTopic(t.name, partitions, leaders);
      return {
        name: t.name,
        topicId: topic?.id ?? "AAAAAAAAAAAAAAAAAAAAAA",
        errorCode: E.NONE,
        errorMessage: null,
        numPartitions: partitions,
        replicationFactor: replication,
        configs: [],
      };
    }),
  };
}

export function initProducerId(ctx: RequestContext, req: InitProducerIdRequest): InitProducerIdResponse {
  if (req.transactionalId !== null) {
    // Transactions are not offered (their APIs are not advertised); a transactional producer stops here.
    return {
      throttleTimeMs: 0,
      errorCode: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      producerId: -1n,
      producerEpoch: -1,
    };
  }
  const r = ctx.cluster.initProducerId(req.producerId ?? -1n, req.producerEpoch ?? -1);
  return { throttleTimeMs: 0, errorCode: r.errorCode, producerId: r.producerId, producerEpoch: r.epoch };
}

export function describeCluster(ctx: RequestContext, req: DescribeClusterRequest): DescribeClusterResponse {
  const { cluster } = ctx;
  return {
    throttleTimeMs: 0,
    errorCode: req.endpointType !== undefined && req.endpointType !== 1 ? E.INVALID_REQUEST : E.NONE,
    errorMessage: null,
    endpointType: 1,
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId,
    brokers: cluster.nodes.map((n) => ({ brokerId: n.nodeId, host: n.host, port: n.port, rack: null })),
    clusterAuthorizedOperations: -2147483648,
  };
}

export function deleteTopics(ctx: RequestContext, req: DeleteTopicsRequest): DeleteTopicsResponse {
  const { cluster, apiVersion } = ctx;
  const wanted =
    apiVersion >= 6
      ? (req.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId }))
      : (req.topicNames ?? []).map((name) => ({ name, topicId: undefined as string | undefined }));
  return {
    throttleTimeMs: 0,
    responses: wanted.map((w) => {
      const byId = w.name === null && w.topicId !== undefined;
      const topic = byId ? cluster.topicsById.get(w.topicId!) : cluster.topics.get(w.name ?? "");
      if (!topic) {
        return {
          name: w.name,
          topicId: w.topicId ?? ZERO_UUID_TEXT,
          errorCode: byId ? E.UNKNOWN_TOPIC_ID : E.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: null,
        };
      }
      cluster.deleteTopic(topic.name);
      return { name: topic.name, topicId: topic.id, errorCode: E.NONE, errorMessage: null };
    }),
  };
}

const ZERO_UUID_TEXT = "AAAAAAAAAAAAAAAAAAAAAA";
const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;
const DEFAULT_CONFIG = 5;
const CONFIG_TYPE_STRING = 2;
const CONFIG_TYPE_LONG = 5;

/** The topic configuration the embedded broker actually applies (nothing is ever deleted or compacted). */
const TOPIC_CONFIGS: { name: string; value: string; configType: number }[] = [
  { name: "cleanup.policy", value: "delete", configType: CONFIG_TYPE_STRING },
  { name: "message.timestamp.type", value: "CreateTime", configType: CONFIG_TYPE_STRING },
  { name: "retention.ms", value: "-1", configType: CONFIG_TYPE_LONG },
];

export function describeConfigs(ctx: RequestContext, req: DescribeConfigsRequest): DescribeConfigsResponse {
  const { cluster } = ctx;
  return {
    throttleTimeMs: 0,
    results: req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName, errorMessage: null };
      if (r.resourceType === BROKER_RESOURCE) {
        const known = cluster.nodes.some((n) => String(n.nodeId) === r.resourceName) || r.resourceName === "";
        return { ...base, errorCode: known ? E.NONE : E.INVALID_REQUEST, configs: [] };
      }
      if (r.resourceType !== TOPIC_RESOURCE) return { ...base, errorCode: E.INVALID_REQUEST, configs: [] };
      if (!cluster.topics.has(r.resourceName))
        return { ...base, errorCode: E.UNKNOWN_TOPIC_OR_PARTITION, configs: [] };
      const keys = r.configurationKeys;
      return {
        ...base,
        errorCode: E.NONE,
        configs: TOPIC_CONFIGS.filter((c) => keys === null || keys.includes(c.name)).map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: false,
          isDefault: true,
          configSource: DEFAULT_CONFIG,
          isSensitive: false,
          synonyms: [],
          configType: c.configType,
          documentation: null,
        })),
      };
    }),
  };
}
