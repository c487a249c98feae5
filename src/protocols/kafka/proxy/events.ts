// What the proxy reports through `onEvent`: faults it injected, connections, and problems.
import type { FaultKind } from "../rules/index.js";

export interface FaultEvent {
  type: "fault";
  /** The rule's description, e.g. `drop(topic="orders")`. */
  rule: string;
  ruleId: number;
  kind: FaultKind;
  api: string;
  topic?: string;
  partition?: number;
  /** Records in the affected batch (produce), when known. */
  records?: number;
  /** Produce: whether the batch came from an idempotent or transactional producer. */
  idempotent?: boolean;
  /** The client id of the request (lose_response, delay_response, throttle, blackhole). */
  clientId?: string | null;
  /** Error code injected (error rules). */
  code?: number;
  /** Hold time (delay and delay_response rules). */
  delayMs?: number;
  /** throttle_time_ms set on the response (throttle rules). */
  throttleMs?: number;
  /**
   * lose_response: answers to later requests of the connection that were lost with this one (the
   * proxy had forwarded them; the broker processes them).
   */
  lostAfter?: number;
  connection: string;
}

export interface ConnectionEvent {
  type: "connection";
  action: "open" | "close";
  connection: string;
  /** The proxy listener ("bootstrap" or "node <id>"). */
  listener: string;
  upstream: string;
  /**
   * A cluster's bootstrap connection (open): the addresses tried before `upstream` accepted it, each
   * with why it failed ("127.0.0.1:9092: ECONNREFUSED").
   */
  refused?: string[];
  /**
   * "isolated": the connection is held, relayed to no broker, because the brokers it would reach are
   * cut off from the clients (isolate()); `upstream` names them.
   */
  held?: "isolated";
}

/** A connection closed because a frame could not be understood; other connections go on. */
export interface MalformedEvent {
  type: "malformed";
  connection: string;
  /** "client" when the client sent it, "upstream" when the broker did. */
  from: "client" | "upstream";
  reason: string;
}

export interface WarningEvent {
  type: "warning";
  connection?: string;
  message: string;
}

export interface ListenerEvent {
  type: "listener";
  node: string;
  address: string;
  upstream: string;
}

export type KafkaProxyEvent = FaultEvent | ConnectionEvent | MalformedEvent | WarningEvent | ListenerEvent;
