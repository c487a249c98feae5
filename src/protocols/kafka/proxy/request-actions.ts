// Request-level rules (blackhole, lose_response, delay_response, throttle) are decided once per request,
// before the per-partition rules: a request a blackhole swallows is counted by no other rule, and the
// response-side ones act on the request's whole response, whatever its partitions' fates.
import type { ActiveRule, MatchTarget } from "../rules/index.js";
import type { FaultEvent } from "./events.js";

export type FaultEventBody = Omit<FaultEvent, "connection">;

/** One topic-partition of a request (or the request itself, for topic-less APIs), for matching. */
export interface ActionTarget {
  target(rule: ActiveRule): MatchTarget;
  topic?: string;
  partition?: number;
  /** Records of its batch (Produce). */
  records?: number;
  idempotent?: boolean;
}

export interface RequestActions {
  /** The request is swallowed and its connection goes silent (blackhole). */
  blackhole?: { ruleId: number; event: FaultEventBody };
  /** Where the response would be written, the connection closes. Emitted when it happens. */
  lose?: FaultEventBody;
  /** The response is held this long once it is ready. Emitted when the hold starts. */
  hold?: { ms: number; event: FaultEventBody };
  /** The response carries this throttle time, and the connection mutes for it. Emitted when written. */
  throttle?: { ms: number; event: FaultEventBody };
}

/**
 * `hasResponse` is false for a Produce with acks=0: nothing comes back, so only a blackhole applies.
 * Each rule fires at most once per request (on the first of its targets that it fires for).
 */
export function planRequestActions(
  rules: readonly ActiveRule[],
  targets: readonly ActionTarget[],
  api: string,
  hasResponse: boolean,
): RequestActions {
  const out: RequestActions = {};
  const event = (r: ActiveRule, t: ActionTarget): FaultEventBody => ({
    type: "fault",
    rule: r.rule.description,
    ruleId: r.id,
    kind: r.rule.kind,
    api,
    // Which client it hit: a blackhole or a lost answer is about one client among several.
    clientId: t.target(r).clientId,
    ...(t.topic !== undefined ? { topic: t.topic } : {}),
    ...(t.partition !== undefined ? { partition: t.partition } : {}),
    ...(t.records !== undefined ? { records: t.records } : {}),
    ...(t.idempotent !== undefined ? { idempotent: t.idempotent } : {}),
  });
  const fires = (r: ActiveRule): ActionTarget | undefined => targets.find((t) => r.tryFire(t.target(r)));

  for (const r of rules) {
    if (r.rule.requestAction?.kind !== "blackhole") continue;
    const t = fires(r);
    if (t) return { blackhole: { ruleId: r.id, event: event(r, t) } };
  }
  if (!hasResponse) return out;
  for (const r of rules) {
    const a = r.rule.requestAction;
    if (!a || a.kind === "blackhole") continue;
    const t = fires(r);
    if (!t) continue;
    if (a.kind === "lose_response") out.lose ??= event(r, t);
    else if (a.kind === "delay_response") {
      if (!out.hold || a.holdMs > out.hold.ms)
        out.hold = { ms: a.holdMs, event: { ...event(r, t), delayMs: a.holdMs } };
    } else if (!out.throttle || a.throttleMs > out.throttle.ms)
      out.throttle = { ms: a.throttleMs, event: { ...event(r, t), throttleMs: a.throttleMs } };
  }
  return out;
}
