// The group coordinator's APIs: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
// OffsetCommit, OffsetFetch, DescribeGroups, ListGroups. Each group lives on one node (a hash of its id
// over the nodes); other nodes answer NOT_COORDINATOR, so clients must follow FindCoordinator's address.
import {
  KAFKA_ERRORS as E,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type ListGroupsRequest,
  type ListGroupsResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseOffsetFetchResponsePartitions,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from "../../wire/index.js";
import { Group } from "../group-coordinator.js";
import type { RequestContext } from "../request-context.js";

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;

export function findCoordinator(ctx: RequestContext, req: FindCoordinatorRequest): FindCoordinatorResponse {
  const { cluster, apiVersion } = ctx;
  const keyType = req.keyType ?? GROUP_KEY;
  const lookup = (key: string) => {
    if (keyType !== GROUP_KEY && keyType !== TRANSACTION_KEY) {
      return {
        key,
        nodeId: -1,
        host: "",
        port: -1,
        errorCode: E.INVALID_REQUEST,
        errorMessage: `unknown key type ${keyType}`,
      };
    }
    if (key === "" && keyType === GROUP_KEY) {
      return {
        key,
        nodeId: -1,
        host: "",
        port: -1,
        errorCode: E.INVALID_GROUP_ID,
        errorMessage: "The group id is empty",
      };
    }
    const n = cluster.coordinatorFor(key);
    return { key, nodeId: n.nodeId, host: n.host, port: n.port, errorCode: E.NONE, errorMessage: null };
  };
  if (apiVersion >= 4) return { throttleTimeMs: 0, coordinators: (req.coordinatorKeys ?? []).map(lookup) };
  const c = lookup(req.key ?? "");
  return {
    throttleTimeMs: 0,
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
    nodeId: c.nodeId,
    host: c.host,
    port: c.port,
  };
}

/** The group if this node coordinates it, else the error code to answer with. */
function coordinated(ctx: RequestContext, groupId: string, create = true): Group | number {
  if (groupId === "") return E.INVALID_GROUP_ID;
  if (ctx.cluster.coordinatorFor(groupId).nodeId !== ctx.node.nodeId) return E.NOT_COORDINATOR;
  // Reads (OffsetFetch, DescribeGroups) of an unknown group see an empty one without creating it.
  if (!create) return ctx.cluster.groups.groups.get(groupId) ?? new Group(groupId, ctx.cluster.settings);
  return ctx.cluster.groups.group(groupId);
}

export async function joinGroup(ctx: RequestContext, req: JoinGroupRequest): Promise<JoinGroupResponse> {
  const g = coordinated(ctx, req.groupId);
  if (typeof g === "number") {
    return {
      throttleTimeMs: 0,
      errorCode: g,
      generationId: -1,
      protocolName: ctx.apiVersion < 7 ? "" : null,
      leader: "",
      memberId: req.memberId,
      members: [],
    };
  }
  const r = await g.join({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId ?? null,
    clientId: ctx.clientId,
    clientHost: `/${ctx.clientHost}`,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs ?? req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    requireKnownMemberId: ctx.apiVersion >= 4,
  });
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    // Before v7 the protocol name is not nullable.
    protocolName: r.protocolName ?? (ctx.apiVersion < 7 ? "" : null),
    leader: r.leader,
    skipAssignment: false,
    memberId: r.memberId,
    members: r.members,
  };
}

export async function syncGroup(ctx: RequestContext, req: SyncGroupRequest): Promise<SyncGroupResponse> {
  const g = coordinated(ctx, req.groupId);
  if (typeof g === "number") return { throttleTimeMs: 0, errorCode: g, assignment: Buffer.alloc(0) };
  const r = await g.sync(
    req.memberId,
    req.generationId,
    req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
  );
  return { throttleTimeMs: 0, ...r };
}

export function heartbeat(ctx: RequestContext, req: HeartbeatRequest): HeartbeatResponse {
  const g = coordinated(ctx, req.groupId);
  return {
    throttleTimeMs: 0,
    errorCode: typeof g === "number" ? g : g.heartbeat(req.memberId, req.generationId),
  };
}

export function leaveGroup(ctx: RequestContext, req: LeaveGroupRequest): LeaveGroupResponse {
  const g = coordinated(ctx, req.groupId);
  if (ctx.apiVersion < 3) {
    return { throttleTimeMs: 0, errorCode: typeof g === "number" ? g : g.leave(req.memberId ?? "") };
  }
  if (typeof g === "number") return { throttleTimeMs: 0, errorCode: g, members: [] };
  return {
    throttleTimeMs: 0,
    errorCode: E.NONE,
    members: (req.members ?? []).map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode: g.leave(m.memberId),
    })),
  };
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function offsetCommit(ctx: RequestContext, req: OffsetCommitRequest): OffsetCommitResponse {
  const g = coordinated(ctx, req.groupId);
  const groupError =
    typeof g === "number" ? g : g.validateCommit(req.memberId ?? "", req.generationIdOrMemberEpoch ?? -1);
  return {
    throttleTimeMs: 0,
    // Topic names are in every OffsetCommit version the broker advertises (up to v9, see api-versions.ts).
    topics: req.topics
      .map((t) => ({ ...t, name: t.name ?? "" }))
      .map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (groupError !== E.NONE || typeof g === "number")
            return { partitionIndex: p.partitionIndex, errorCode: groupError };
          if (!ctx.cluster.partition(t.name, p.partitionIndex)) {
            return { partitionIndex: p.partitionIndex, errorCode: E.UNKNOWN_TOPIC_OR_PARTITION };
          }
          g.offsets.set(partitionKey(t.name, p.partitionIndex), {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            metadata: p.committedMetadata,
          });
          return { partitionIndex: p.partitionIndex, errorCode: E.NONE };
        }),
      })),
  };
}

/** Committed offsets of one group for the given topics (null: every partition with a commit). */
function fetchGroupOffsets(
  group: Group,
  topics: { name: string; partitionIndexes: number[] }[] | null,
): { name: string; partitions: OffsetFetchResponseOffsetFetchResponsePartitions[] }[] {
  const wanted =
    topics ??
    [...group.offsets.keys()].reduce<{ name: string; partitionIndexes: number[] }[]>((acc, k) => {
      const [name, p] = k.split("\u0000") as [string, string];
      let t = acc.find((x) => x.name === name);
      if (!t) acc.push((t = { name, partitionIndexes: [] }));
      t.partitionIndexes.push(Number(p));
      return acc;
    }, []);
  return wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => {
      const c = group.offsets.get(partitionKey(t.name, p));
      return {
        partitionIndex: p,
        committedOffset: c?.offset ?? -1n,
        committedLeaderEpoch: c?.leaderEpoch ?? -1,
        metadata: c ? c.metadata : "",
        errorCode: E.NONE,
      };
    }),
  }));
}

export function offsetFetch(ctx: RequestContext, req: OffsetFetchRequest): OffsetFetchResponse {
  if (ctx.apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      groups: (req.groups ?? []).map((rg) => {
        const g = coordinated(ctx, rg.groupId, false);
        if (typeof g === "number") return { groupId: rg.groupId, topics: [], errorCode: g };
        return {
          groupId: rg.groupId,
          topics: fetchGroupOffsets(
            g,
            // Names, not ids: the broker advertises OffsetFetch up to v9 (see api-versions.ts).
            rg.topics?.map((t) => ({ name: t.name ?? "", partitionIndexes: t.partitionIndexes })) ?? null,
          ),
          errorCode: E.NONE,
        };
      }),
    };
  }
  const g = coordinated(ctx, req.groupId ?? "", false);
  if (typeof g === "number") {
    // Before v2 there is no top-level error: the error goes on every requested partition.
    return {
      throttleTimeMs: 0,
      errorCode: g,
      topics: (req.topics ?? []).map((t) => ({
        name: t.name,
        partitions: (t.partitionIndexes ?? []).map((p) => ({
          partitionIndex: p,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: "",
          errorCode: g,
        })),
      })),
    };
  }
  const topics = req.topics
    ? req.topics.map((t) => ({ name: t.name ?? "", partitionIndexes: t.partitionIndexes ?? [] }))
    : null;
  return { throttleTimeMs: 0, errorCode: E.NONE, topics: fetchGroupOffsets(g, topics) };
}

export function describeGroups(ctx: RequestContext, req: DescribeGroupsRequest): DescribeGroupsResponse {
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      const g = coordinated(ctx, groupId, false);
      const base = {
        groupId,
        protocolType: "",
        protocolData: "",
        members: [],
        authorizedOperations: -2147483648,
      };
      if (typeof g === "number") return { ...base, errorCode: g, groupState: "" };
      // Kafka describes a group it does not know as Dead (GROUP_ID_NOT_FOUND only from v6).
      if (!ctx.cluster.groups.groups.has(groupId)) return { ...base, errorCode: E.NONE, groupState: "Dead" };
      const stable = g.state === "Stable";
      return {
        ...base,
        errorCode: E.NONE,
        groupState: g.state,
        protocolType: g.protocolType ?? "",
        protocolData: stable ? (g.protocolName ?? "") : "",
        members: [...g.members.values()].map((m) => ({
          memberId: m.id,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable
            ? (m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? Buffer.alloc(0))
            : Buffer.alloc(0),
          memberAssignment: stable ? m.assignment : Buffer.alloc(0),
        })),
      };
    }),
  };
}

export function listGroups(ctx: RequestContext, req: ListGroupsRequest): ListGroupsResponse {
  const states = req.statesFilter ?? [];
  const groups = [...ctx.cluster.groups.groups.values()].filter(
    (g) =>
      ctx.cluster.coordinatorFor(g.groupId).nodeId === ctx.node.nodeId &&
      g.state !== "Dead" &&
      (states.length === 0 || states.some((s) => s.toLowerCase() === g.state.toLowerCase())),
  );
  return {
    throttleTimeMs: 0,
    errorCode: E.NONE,
    groups: groups.map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType ?? "consumer",
      groupState: g.state,
      groupType: "classic",
    })),
  };
}
