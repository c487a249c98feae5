// Rewrites of relayed responses: every broker address a client can learn is replaced by the proxy's
// listener for that node, ApiVersions is capped to what the codec can decode, and topic ids are learnt.
import {
  API_KEYS,
  apiSchema,
  decodeResponse,
  encodeResponse,
  supportedVersions,
  type ApiVersionsResponse,
  type DescribeClusterResponse,
  type FindCoordinatorResponse,
  type MetadataResponse,
} from "../wire/index.js";
import { fetchHasNodeEndpoints, rewriteFetchFrame } from "./fetch-tail.js";

/** Maps a broker (or controller) address to the proxy listener standing in for it. */
export type AdvertiseNode = (
  node: string,
  host: string,
  port: number,
) => Promise<{ host: string; port: number }>;

/** APIs whose responses carry addresses but which this proxy does not parse: hidden from clients. */
const HIDDEN_APIS = new Set([78, 79]); // ShareFetch, ShareAcknowledge (KIP-932 node endpoints)

/**
 * The versions of an API the proxy lets clients use: what the codec decodes, minus a latest version the
 * definitions mark unstable (OffsetCommit/OffsetFetch 10, InitProducerId 6 in Kafka 4.1). A broker only
 * offers an unstable version when told to, and a later release may finalize it with another layout, so
 * the proxy cannot know that its tables describe the broker's idea of that version.
 */
function stableVersions(apiKey: number): readonly [number, number] | undefined {
  const s = apiSchema(apiKey);
  if (!s?.validVersions) return undefined;
  const max = s.unstableVersions ? s.unstableVersions[0] - 1 : s.validVersions[1];
  return [s.validVersions[0], max];
}

/** Caps versions to what the codec decodes; returns true when something changed. */
export function capApiVersions(body: ApiVersionsResponse): boolean {
  let changed = false;
  const keep = [];
  for (const k of body.apiKeys) {
    if (HIDDEN_APIS.has(k.apiKey)) {
      changed = true;
      continue;
    }
    const ours = stableVersions(k.apiKey);
    if (ours && k.maxVersion > ours[1]) {
      if (k.minVersion > ours[1]) {
        changed = true;
        continue; // nothing we can decode: the client must not use it through us
      }
      k.maxVersion = ours[1];
      changed = true;
    }
    keep.push(k);
  }
  body.apiKeys = keep;
  // Transactions v2 (KIP-890) need Produce v12; with Produce capped lower, clients must stay on v1.
  const produce = keep.find((k) => k.apiKey === API_KEYS.Produce);
  if (produce && produce.maxVersion < 12) {
    for (const f of body.finalizedFeatures ?? []) {
      if (f.name === "transaction.version" && f.maxVersionLevel > 1) {
        f.maxVersionLevel = 1;
        if (f.minVersionLevel > 1) f.minVersionLevel = 1;
        changed = true;
      }
    }
  }
  return changed;
}

export async function rewriteMetadata(body: MetadataResponse, advertise: AdvertiseNode): Promise<void> {
  for (const b of body.brokers) Object.assign(b, await advertise(`${b.nodeId}`, b.host, b.port));
}

export async function rewriteFindCoordinator(
  body: FindCoordinatorResponse,
  advertise: AdvertiseNode,
): Promise<void> {
  if (body.host !== undefined && body.nodeId !== undefined && body.nodeId >= 0 && body.host !== "") {
    Object.assign(body, await advertise(`${body.nodeId}`, body.host, body.port!));
  }
  for (const c of body.coordinators ?? []) {
    if (c.nodeId >= 0 && c.host !== "") Object.assign(c, await advertise(`${c.nodeId}`, c.host, c.port));
  }
}

export async function rewriteDescribeCluster(
  body: DescribeClusterResponse,
  advertise: AdvertiseNode,
): Promise<void> {
  const prefix = body.endpointType === 2 ? "controller " : "";
  for (const b of body.brokers) Object.assign(b, await advertise(`${prefix}${b.brokerId}`, b.host, b.port));
}

/** Produce v10+/Fetch v16+ node endpoints (KIP-951); returns true when there were any. */
export async function rewriteNodeEndpoints(
  endpoints: { nodeId: number; host: string; port: number }[] | undefined,
  advertise: AdvertiseNode,
): Promise<boolean> {
  if (!endpoints?.length) return false;
  for (const e of endpoints) Object.assign(e, await advertise(`${e.nodeId}`, e.host, e.port));
  return true;
}

/**
 * The rewritten frame (size prefix included) for address-bearing and version-bearing responses, or
 * null when the frame can be relayed as is. `frame` excludes the size prefix.
 */
export async function rewriteResponse(
  apiKey: number,
  apiVersion: number,
  frame: Buffer,
  advertise: AdvertiseNode,
  learnTopicIds: (body: MetadataResponse) => void,
): Promise<Buffer | null> {
  switch (apiKey) {
    case API_KEYS.ApiVersions: {
      // A version newer than the broker knows is answered with a v0 body (KIP-511).
      const ours = supportedVersions(API_KEYS.ApiVersions)!;
      let v = apiVersion > ours[1] ? 0 : apiVersion;
      let r;
      try {
        r = decodeResponse(API_KEYS.ApiVersions, v, frame);
      } catch (e) {
        if (v === 0) throw e;
        v = 0; // the broker did not like the version either and answered with v0
        r = decodeResponse(API_KEYS.ApiVersions, 0, frame);
      }
      if (!capApiVersions(r.body)) return null;
      return encodeResponse(API_KEYS.ApiVersions, v, r.correlationId, r.body, r.headerTaggedFields);
    }
    case API_KEYS.Metadata: {
      const r = decodeResponse(API_KEYS.Metadata, apiVersion, frame);
      learnTopicIds(r.body);
      await rewriteMetadata(r.body, advertise);
      return encodeResponse(API_KEYS.Metadata, apiVersion, r.correlationId, r.body, r.headerTaggedFields);
    }
    case API_KEYS.FindCoordinator: {
      const r = decodeResponse(API_KEYS.FindCoordinator, apiVersion, frame);
      await rewriteFindCoordinator(r.body, advertise);
      return encodeResponse(
        API_KEYS.FindCoordinator,
        apiVersion,
        r.correlationId,
        r.body,
        r.headerTaggedFields,
      );
    }
    case API_KEYS.DescribeCluster: {
      const r = decodeResponse(API_KEYS.DescribeCluster, apiVersion, frame);
      await rewriteDescribeCluster(r.body, advertise);
      return encodeResponse(
        API_KEYS.DescribeCluster,
        apiVersion,
        r.correlationId,
        r.body,
        r.headerTaggedFields,
      );
    }
    case API_KEYS.Fetch: {
      // Only the tagged section at the end can hold addresses: skim to it rather than decode it all.
      if (!fetchHasNodeEndpoints(apiVersion)) return null;
      return rewriteFetchFrame(frame, apiVersion, advertise);
    }
  }
  return null;
}
