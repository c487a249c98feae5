// Fault rules on requests other than Produce: delay and disconnect for any API; error codes answered
// locally for topic-less APIs (group and coordinator APIs), or set on the matching topics of the
// broker's response for topic-bearing ones (Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch).
import { apiName, globMatch, type ActiveRule } from "../rules/index.js";
import { apiSchema, defaultStruct, ZERO_UUID, type DecodedRequest } from "../wire/index.js";
import type { FaultEvent } from "./events.js";
import type { ActionTarget } from "./request-actions.js";

export interface RequestPlan {
  holdMs: number;
  disconnect: boolean;
  /** Error to answer locally (topic-less APIs): the request is not forwarded. */
  localError?: number;
  /** Error to set on the matching topics' entries of the broker's response. */
  responseError?: { code: number; topics: Set<string> };
  events: Omit<FaultEvent, "connection">[];
}

/** Topic-partitions named by a request (names; topic ids resolved through `topicName`). */
export function requestTopics(
  req: DecodedRequest,
  topicName: (id: string) => string | undefined,
): { topic: string; partition?: number }[] {
  const out: { topic: string; partition?: number }[] = [];
  const add = (topic: string | undefined | null, partitions: number[] | undefined) => {
    if (!topic) return;
    if (!partitions?.length) out.push({ topic });
    else for (const partition of partitions) out.push({ topic, partition });
  };
  switch (req.apiKey) {
    case 1:
      for (const t of req.body.topics)
        add(
          t.topic ?? (t.topicId ? topicName(t.topicId) : undefined),
          t.partitions.map((p) => p.partition),
        );
      break;
    case 2:
      for (const t of req.body.topics)
        add(
          t.name,
          t.partitions.map((p) => p.partitionIndex),
        );
      break;
    case 3:
      for (const t of req.body.topics ?? [])
        add(t.name ?? (t.topicId ? topicName(t.topicId) : undefined), undefined);
      break;
    case 8: // OffsetCommit: names up to v9, topic ids from v10
      for (const t of req.body.topics)
        add(
          t.name ?? (t.topicId ? topicName(t.topicId) : undefined),
          t.partitions.map((p) => p.partitionIndex),
        );
      break;
    case 9: // OffsetFetch: names up to v9, topic ids from v10
      for (const t of req.body.topics ?? []) add(t.name, t.partitionIndexes);
      for (const g of req.body.groups ?? [])
        for (const t of g.topics ?? [])
          add(t.name ?? (t.topicId ? topicName(t.topicId) : undefined), t.partitionIndexes);
      break;
  }
  return out;
}

/**
 * The topic ids a request names (Produce v13+, Fetch v13+, OffsetCommit/OffsetFetch v10+), so the
 * proxy can learn the names of ids it has not seen before matching rules on topic names.
 */
export function requestTopicIds(req: DecodedRequest): string[] {
  const ids: (string | undefined)[] = [];
  switch (req.apiKey) {
    case 0:
      for (const t of req.body.topicData) ids.push(t.topicId);
      break;
    case 1:
      for (const t of req.body.topics) ids.push(t.topicId);
      break;
    case 8:
      for (const t of req.body.topics) ids.push(t.topicId);
      break;
    case 9:
      for (const g of req.body.groups ?? []) for (const t of g.topics ?? []) ids.push(t.topicId);
      break;
  }
  return ids.filter((id): id is string => id !== undefined && id !== ZERO_UUID);
}

/** The targets request-level rules match a request other than Produce against. */
export function requestActionTargets(
  req: DecodedRequest,
  clientId: string | null,
  topicName: (id: string) => string | undefined,
): ActionTarget[] {
  const api = apiName(apiSchema(req.apiKey)!.name);
  const topics = requestTopics(req, topicName);
  const targets = topics.length ? topics : [{ topic: undefined, partition: undefined }];
  return targets.map((t) => ({
    ...t,
    target: () => ({ api, topic: t.topic, partition: t.partition, clientId }),
  }));
}

export function planRequest(
  req: DecodedRequest,
  rules: readonly ActiveRule[],
  clientId: string | null,
  topicName: (id: string) => string | undefined,
): RequestPlan {
  const plan: RequestPlan = { holdMs: 0, disconnect: false, events: [] };
  const api = apiName(apiSchema(req.apiKey)!.name);
  const topics = requestTopics(req, topicName);
  const targets = topics.length ? topics : [{ topic: undefined, partition: undefined }];
  for (const r of rules) {
    if (r.rule.requestAction) continue; // decided by planRequestActions
    for (const t of targets) {
      if (!r.tryFire({ api, topic: t.topic, partition: t.partition, clientId })) continue;
      const base = {
        type: "fault" as const,
        rule: r.rule.description,
        ruleId: r.id,
        kind: r.rule.kind,
        api,
        topic: t.topic,
        partition: t.partition,
      };
      const d = r.rule.disposition;
      if (r.rule.kind === "delay") {
        plan.holdMs = Math.max(plan.holdMs, r.rule.holdMs!);
        plan.events.push({ ...base, delayMs: r.rule.holdMs });
      } else if (d?.kind === "disconnect") {
        plan.disconnect = true;
        plan.events.push(base);
      } else if (d?.kind === "error") {
        if (t.topic === undefined) plan.localError = d.code;
        else {
          plan.responseError ??= { code: d.code, topics: new Set() };
          plan.responseError.topics.add(t.topic);
        }
        plan.events.push({ ...base, code: d.code });
      }
      // drop and duplicate only have a meaning for Produce.
      break; // one firing per rule and request
    }
  }
  return plan;
}

/** A well-formed response carrying `code` in its top-level error field (and per coordinator key). */
export function localErrorResponse(req: DecodedRequest, code: number): Record<string, unknown> {
  const schema = apiSchema(req.apiKey)!;
  const body = defaultStruct(schema.response, req.apiVersion);
  if ("errorCode" in body) body.errorCode = code;
  if (req.apiKey === 10 && Array.isArray(body.coordinators)) {
    body.coordinators = (req.body.coordinatorKeys ?? []).map((key) => ({
      key,
      nodeId: -1,
      host: "",
      port: -1,
      errorCode: code,
      errorMessage: null,
    }));
  }
  if (req.apiKey === 10 && "nodeId" in body) Object.assign(body, { nodeId: -1, host: "", port: -1 });
  return body;
}

export function canAnswerLocally(apiKey: number, version: number): boolean {
  const schema = apiSchema(apiKey);
  if (!schema) return false;
  const body = defaultStruct(schema.response, version);
  return "errorCode" in body || (apiKey === 10 && "coordinators" in body);
}

/** Sets `code` on every error field inside the response entries of the named topics. */
export function setTopicErrors(
  body: unknown,
  topics: Set<string>,
  code: number,
  topicName: (id: string) => string | undefined,
): void {
  const visit = (node: unknown, inside: boolean): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n, inside);
      return;
    }
    if (node === null || typeof node !== "object" || Buffer.isBuffer(node)) return;
    const o = node as Record<string, unknown>;
    let here = inside;
    const name =
      (typeof o.name === "string" ? o.name : typeof o.topic === "string" ? o.topic : undefined) ??
      (typeof o.topicId === "string" ? topicName(o.topicId) : undefined);
    if (name !== undefined && [...topics].some((t) => globMatch(t, name))) here = true;
    for (const [k, v] of Object.entries(o)) {
      if (here && k === "errorCode" && typeof v === "number") o[k] = code;
      else if (here && k === "records") o[k] = null;
      else visit(v, here);
    }
  };
  visit(body, false);
}
