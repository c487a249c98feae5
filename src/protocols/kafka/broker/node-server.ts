// One broker node: a TCP listener whose connections read frames, answer them one at a time in arrival
// order (as Kafka does: a connection is muted while its request is processed, so pipelined requests
// are answered in order and a long-poll Fetch or JoinGroup holds back the requests behind it), and
// close cleanly on anything we do not speak.
import { createServer, type Server, type Socket } from "node:net";
import {
  API_KEYS,
  decodeRequest,
  encodeResponse,
  FrameReader,
  KafkaDecodeError,
  peekRequestHeader,
  type ApiKey,
  type DecodedRequest,
} from "../wire/index.js";
import { apiVersionsResponse, isAdvertised, unsupportedApiVersionsResponse } from "./api-versions.js";
import type { Cluster, NodeAddress } from "./cluster.js";
import { HANDLERS } from "./handlers/index.js";
import { CLOSE_CONNECTION, NO_RESPONSE, type RequestContext } from "./request-context.js";

export type ProtocolErrorListener = (message: string) => void;

export class NodeServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly shutdown = new AbortController();
  address: NodeAddress;

  constructor(
    private readonly cluster: Cluster,
    nodeId: number,
    host: string,
    private readonly onProtocolError: ProtocolErrorListener,
  ) {
    this.address = { nodeId, host, port: 0 };
    this.server = createServer((socket) => this.serve(socket));
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, this.address.host, () => {
        this.server.off("error", reject);
        const a = this.server.address();
        if (a && typeof a === "object") this.address.port = a.port;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.shutdown.abort();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const connectionClosed = new AbortController();
    const signal = AbortSignal.any([connectionClosed.signal, this.shutdown.signal]);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const frames = new FrameReader();
    const queue: Buffer[] = [];
    let busy = false;

    const fail = (why: string): void => {
      this.onProtocolError(
        `embedded Kafka node ${this.address.nodeId} (${this.address.host}:${this.address.port}): closing the connection from ${peer}: ${why}`,
      );
      socket.destroy();
    };

    const drain = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        while (queue.length > 0 && !socket.destroyed) {
          const frame = queue.shift()!;
          const reply = await this.answer(frame, { peer, signal, socket });
          if (reply === CLOSE_CONNECTION) {
            socket.destroy();
            return;
          }
          if (typeof reply === "string") return fail(reply);
          if (reply && !socket.destroyed) socket.write(reply);
        }
      } finally {
        busy = false;
      }
    };

    socket.on("data", (chunk: Buffer) => {
      try {
        queue.push(...frames.push(chunk));
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e));
      }
      drain().catch((e: unknown) => fail(`internal error: ${e instanceof Error ? e.message : String(e)}`));
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      connectionClosed.abort();
      this.sockets.delete(socket);
    });
  }

  /** The response frame, null for none, CLOSE_CONNECTION, or a string saying why the connection must close. */
  private async answer(
    frame: Buffer,
    conn: { peer: string; signal: AbortSignal; socket: Socket },
  ): Promise<Buffer | null | string | typeof CLOSE_CONNECTION> {
    if (frame.length < 10)
      return `a request frame of ${frame.length} bytes is too short for a request header`;
    const head = peekRequestHeader(frame);
    if (head.apiKey === API_KEYS.ApiVersions && !isAdvertised(head.apiKey, head.apiVersion)) {
      return encodeResponse(API_KEYS.ApiVersions, 0, head.correlationId, unsupportedApiVersionsResponse());
    }
    if (!isAdvertised(head.apiKey, head.apiVersion)) {
      return `API key ${head.apiKey} version ${head.apiVersion} is not supported by the embedded broker (correlation id ${head.correlationId}, client ${head.clientId ?? "-"})`;
    }
    let request: DecodedRequest;
    try {
      request = decodeRequest(frame);
    } catch (e) {
      if (e instanceof KafkaDecodeError) return `malformed request: ${e.message}`;
      throw e;
    }
    const ctx: RequestContext = {
      cluster: this.cluster,
      node: this.address,
      apiVersion: request.apiVersion,
      clientId: request.header.clientId ?? "",
      clientHost: conn.socket.remoteAddress ?? "",
      signal: conn.signal,
    };
    const key = request.apiKey;
    let body: unknown;
    if (key === API_KEYS.ApiVersions) {
      body = apiVersionsResponse(request.body, request.apiVersion);
    } else {
      const handler = HANDLERS[key] as ((c: RequestContext, b: unknown) => unknown) | undefined;
      if (!handler) return `API key ${key} is advertised but has no handler (a bug in the embedded broker)`;
      try {
        body = await handler(ctx, request.body);
      } catch (e) {
        return `failed to answer ${request.apiKey} v${request.apiVersion}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (body === NO_RESPONSE) return null;
    if (body === CLOSE_CONNECTION) return CLOSE_CONNECTION;
    try {
      return encodeResponse(key as ApiKey, request.apiVersion, request.header.correlationId, body as never);
    } catch (e) {
      return `could not encode the answer to API key ${key} v${request.apiVersion} (a bug in the embedded broker): ${e instanceof Error ? e.message : String(e)}`;
    }
  }
}
