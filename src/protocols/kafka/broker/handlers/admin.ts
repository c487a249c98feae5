// CreateTopics, InitProducerId (idempotent producers; transactions are not offered) and DescribeCluster.
import {
  KAFKA_ERRORS as E,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
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
