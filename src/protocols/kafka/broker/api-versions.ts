// What the embedded broker advertises in ApiVersions (kafka-wire.md §7.3, capped at what our codec
// decodes). Clients pick min(their max, our max) per API, so these ranges decide which encodings we
// must speak: old and flexible Fetch/Produce/Metadata, topic ids from Fetch v13.
import { API_KEYS, KAFKA_ERRORS, type ApiVersionsRequest, type ApiVersionsResponse } from "../wire/index.js";

export const ADVERTISED: readonly { apiKey: number; minVersion: number; maxVersion: number }[] = [
  // Produce from v0: librdkafka 2.0.x picks its MessageSet version from the advertised minimum.
  { apiKey: API_KEYS.Produce, minVersion: 0, maxVersion: 11 },
  { apiKey: API_KEYS.Fetch, minVersion: 4, maxVersion: 17 },
  { apiKey: API_KEYS.ListOffsets, minVersion: 1, maxVersion: 10 },
  { apiKey: API_KEYS.Metadata, minVersion: 0, maxVersion: 12 },
  { apiKey: API_KEYS.OffsetCommit, minVersion: 2, maxVersion: 9 },
  { apiKey: API_KEYS.OffsetFetch, minVersion: 1, maxVersion: 9 },
  { apiKey: API_KEYS.FindCoordinator, minVersion: 0, maxVersion: 5 },
  { apiKey: API_KEYS.JoinGroup, minVersion: 0, maxVersion: 9 },
  { apiKey: API_KEYS.Heartbeat, minVersion: 0, maxVersion: 4 },
  { apiKey: API_KEYS.LeaveGroup, minVersion: 0, maxVersion: 5 },
  { apiKey: API_KEYS.SyncGroup, minVersion: 0, maxVersion: 5 },
  { apiKey: API_KEYS.DescribeGroups, minVersion: 0, maxVersion: 5 },
  { apiKey: API_KEYS.ListGroups, minVersion: 0, maxVersion: 5 },
  { apiKey: API_KEYS.ApiVersions, minVersion: 0, maxVersion: 4 },
  { apiKey: API_KEYS.CreateTopics, minVersion: 0, maxVersion: 7 },
  { apiKey: API_KEYS.InitProducerId, minVersion: 0, maxVersion: 5 },
  { apiKey: API_KEYS.DescribeCluster, minVersion: 0, maxVersion: 1 },
  { apiKey: API_KEYS.DeleteTopics, minVersion: 0, maxVersion: 6 },
  { apiKey: API_KEYS.DescribeConfigs, minVersion: 0, maxVersion: 4 },
];

const byKey = new Map(ADVERTISED.map((a) => [a.apiKey, a]));

export const isAdvertised = (apiKey: number, version: number): boolean => {
  const a = byKey.get(apiKey);
  return a !== undefined && version >= a.minVersion && version <= a.maxVersion;
};

/** ApiVersions v3+ client software name and version must match this (else INVALID_REQUEST). */
const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function apiVersionsResponse(req: ApiVersionsRequest, version: number): ApiVersionsResponse {
  if (version >= 3) {
    const name = req.clientSoftwareName ?? "";
    const ver = req.clientSoftwareVersion ?? "";
    if (!SOFTWARE.test(name) || !SOFTWARE.test(ver)) {
      return { errorCode: KAFKA_ERRORS.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
    }
  }
  return { errorCode: KAFKA_ERRORS.NONE, apiKeys: ADVERTISED.map((a) => ({ ...a })), throttleTimeMs: 0 };
}

/**
 * The answer to an ApiVersions request of a version we do not know (KIP-511): a v0 body with
 * UNSUPPORTED_VERSION and our ApiVersions range, so the client retries with a version we speak.
 */
export function unsupportedApiVersionsResponse(): ApiVersionsResponse {
  return { errorCode: KAFKA_ERRORS.UNSUPPORTED_VERSION, apiKeys: [{ ...byKey.get(API_KEYS.ApiVersions)! }] };
}
