// Request handlers by API key (ApiVersions is answered by node-server.ts itself).
import { API_KEYS, type ApiKey } from "../../wire/index.js";
import type { Handler } from "../request-context.js";
import { createTopics, deleteTopics, describeCluster, describeConfigs, initProducerId } from "./admin.js";
import { fetch } from "./fetch.js";
import {
  describeGroups,
  findCoordinator,
  heartbeat,
  joinGroup,
  leaveGroup,
  listGroups,
  offsetCommit,
  offsetFetch,
  syncGroup,
} from "./groups.js";
import { listOffsets } from "./list-offsets.js";
import { metadata } from "./metadata.js";
import { produce } from "./produce.js";

export const HANDLERS: { [K in ApiKey]?: Handler<K> } = {
  [API_KEYS.Produce]: produce,
  [API_KEYS.Fetch]: fetch,
  [API_KEYS.ListOffsets]: listOffsets,
  [API_KEYS.Metadata]: metadata,
  [API_KEYS.OffsetCommit]: offsetCommit,
  [API_KEYS.OffsetFetch]: offsetFetch,
  [API_KEYS.FindCoordinator]: findCoordinator,
  [API_KEYS.JoinGroup]: joinGroup,
  [API_KEYS.Heartbeat]: heartbeat,
  [API_KEYS.LeaveGroup]: leaveGroup,
  [API_KEYS.SyncGroup]: syncGroup,
  [API_KEYS.DescribeGroups]: describeGroups,
  [API_KEYS.ListGroups]: listGroups,
  [API_KEYS.CreateTopics]: createTopics,
  [API_KEYS.InitProducerId]: initProducerId,
  [API_KEYS.DescribeCluster]: describeCluster,
  [API_KEYS.DeleteTopics]: deleteTopics,
  [API_KEYS.DescribeConfigs]: describeConfigs,
};
