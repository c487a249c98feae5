// What a request handler knows about the request it answers.
import type { ApiKey, RequestBody, ResponseBody } from "../wire/index.js";
import type { Cluster, NodeAddress } from "./cluster.js";

export interface RequestContext {
  cluster: Cluster;
  /** The node this connection is to. */
  node: NodeAddress;
  apiVersion: number;
  clientId: string;
  clientHost: string;
  /** Aborted when the connection closes or the broker shuts down; long polls end early on it. */
  signal: AbortSignal;
}

/** Handler results that are not a response body. */
export const NO_RESPONSE = Symbol("no response"); // acks=0 produce
export const CLOSE_CONNECTION = Symbol("close connection"); // acks=0 produce that failed

export type HandlerResult<K extends ApiKey> = ResponseBody<K> | typeof NO_RESPONSE | typeof CLOSE_CONNECTION;

export type Handler<K extends ApiKey> = (
  ctx: RequestContext,
  body: RequestBody<K>,
) => HandlerResult<K> | Promise<HandlerResult<K>>;
