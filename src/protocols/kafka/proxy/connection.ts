// One client connection through the proxy, paired 1:1 with an upstream broker connection. Requests are
// handled one at a time in arrival order (a held request holds the ones behind it), forwarded with the
// proxy's own correlation ids, and every response slot is released to the client strictly in request
// order. Produce with acks=0 has no slot (the broker sends nothing back).
import type { Socket } from "node:net";
import {
  API_KEYS,
  apiSchema,
  FrameReader,
  KafkaDecodeError,
  Reader,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  isFlexible,
  isSupported,
  peekRequestHeader,
  withSizePrefix,
  type ApiKey,
  type DecodedRequest,
  type MetadataResponse,
  type ProduceRequest,
  type RequestHeader,
} from "../wire/index.js";
import type { ActiveRule } from "../rules/index.js";
import type { KafkaProxyEvent } from "./events.js";
import {
  learnOffsets,
  mergeProduceResponse,
  planProduce,
  produceNeedsInspection,
  type ProduceContext,
  type ProducePlan,
} from "./produce.js";
import {
  canAnswerLocally,
  localErrorResponse,
  planRequest,
  requestTopicIds,
  setTopicErrors,
} from "./requests.js";
import { rewriteNodeEndpoints, rewriteResponse, type AdvertiseNode } from "./responses.js";
import type { SequenceTranslator } from "./sequences.js";
import { SaslV0Tracker } from "./sasl.js";

/** What all connections of one proxy share. */
export interface ProxyShared {
  rules(): readonly ActiveRule[];
  advertise: AdvertiseNode;
  learnTopicIds(body: MetadataResponse): void;
  topicName(id: string): string | undefined;
  /** Learns the names of topic ids not seen yet (side Metadata lookup); never throws. */
  resolveTopicIds(ids: string[], connection: string): Promise<void>;
  sequences: SequenceTranslator;
  offsetHints: Map<string, bigint>;
  duplicated: Set<string>;
  droppedPlain: Set<string>;
  /** Size guard for decompressing batches whose keys a key= rule asks for. */
  maxDecompressedBytes: number;
  emit(e: KafkaProxyEvent): void;
  stats: ProxyStats;
}

export interface ProxyStats {
  connectionsTotal: number;
  connectionsActive: number;
  requests: number;
  responses: number;
  faults: number;
  bytesFromClients: number;
  bytesFromBrokers: number;
  /**
   * Requests relayed per API name and version, e.g. { Produce: { 13: 40 } }: which versions clients
   * negotiated through the proxy (API keys the codec does not know are counted as "api <key>").
   */
  requestVersions: Record<string, Record<number, number>>;
}

interface Slot {
  clientCorrelationId: number;
  ready: Buffer | null;
}

interface Expected {
  upstreamId: number;
  /** null: a proxy-owned request whose response is discarded. */
  slot: Slot | null;
  apiKey: number;
  apiVersion: number;
  produce?: { request: ProduceRequest | null; local: ProducePlan["local"] };
  responseError?: { code: number; topics: Set<string> };
  /** A raw SASL token (after SaslHandshake v0): the answer is the broker's next frame, relayed as is. */
  saslToken?: true;
}

const MAX_QUEUED_REQUESTS = 256;

/** acks of a Produce request, read without decoding the body. */
function produceAcks(frame: Buffer, h: RequestHeader): number {
  const r = new Reader(frame, 8);
  const n = r.int16();
  if (n > 0) r.bytes(n);
  const flexible = isFlexible(API_KEYS.Produce, h.apiVersion);
  if (flexible) {
    const tags = r.uvarint();
    for (let i = 0; i < tags; i++) {
      r.uvarint();
      r.bytes(r.uvarint());
    }
  }
  if (h.apiVersion >= 3) {
    const len = flexible ? r.uvarint() - 1 : r.int16();
    if (len > 0) r.bytes(len);
  }
  return r.int16();
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ProxyConnection {
  private readonly clientFrames = new FrameReader();
  private readonly upstreamFrames = new FrameReader();
  private readonly slots: Slot[] = [];
  private readonly expected: Expected[] = [];
  private readonly incoming: Buffer[] = [];
  private processing = false;
  private clientPaused = false;
  private nextUpstreamId = 1;
  private closed = false;
  private readonly sasl = new SaslV0Tracker();

  constructor(
    readonly id: string,
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly shared: ProxyShared,
    private readonly listenerName: string,
    private readonly upstreamAddress: string,
  ) {
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on("data", (chunk) => this.onClientData(chunk));
    upstream.on("data", (chunk) => this.onUpstreamData(chunk));
    client.on("close", () => this.close());
    upstream.on("close", () => this.close());
    client.on("error", () => this.close());
    upstream.on("error", (e) => {
      if (!this.closed)
        shared.emit({ type: "warning", connection: id, message: `upstream connection failed: ${e.message}` });
      this.close();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.shared.stats.connectionsActive--;
    this.client.destroy();
    this.upstream.destroy();
    this.shared.emit({
      type: "connection",
      action: "close",
      connection: this.id,
      listener: "",
      upstream: "",
    });
  }

  private malformed(from: "client" | "upstream", e: unknown): void {
    if (this.closed) return;
    const reason = e instanceof Error ? e.message : String(e);
    this.shared.emit({ type: "malformed", connection: this.id, from, reason });
    this.close();
  }

  private onClientData(chunk: Buffer): void {
    this.shared.stats.bytesFromClients += chunk.length;
    let frames: Buffer[];
    try {
      frames = this.clientFrames.push(chunk);
    } catch (e) {
      return this.malformed("client", e);
    }
    if (frames.length === 0) return;
    this.incoming.push(...frames);
    if (this.incoming.length > MAX_QUEUED_REQUESTS && !this.clientPaused) {
      this.clientPaused = true;
      this.client.pause();
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.incoming.length && !this.closed) {
        const frame = this.incoming.shift()!;
        try {
          await this.handleRequest(frame);
        } catch (e) {
          if (e instanceof KafkaDecodeError || e instanceof RangeError) return this.malformed("client", e);
          // A bug of ours must cost this connection only, never the proxy and its other clients.
          this.shared.emit({
            type: "warning",
            connection: this.id,
            message: `internal error, connection closed: ${(e as Error)?.stack ?? e}`,
          });
          return this.close();
        }
        if (this.clientPaused && this.incoming.length < MAX_QUEUED_REQUESTS / 2) {
          this.clientPaused = false;
          this.client.resume();
        }
      }
    } finally {
      this.processing = false;
    }
  }

  private newSlot(clientCorrelationId: number): Slot {
    const slot = { clientCorrelationId, ready: null };
    this.slots.push(slot);
    return slot;
  }

  private takeUpstreamId(): number {
    const id = this.nextUpstreamId;
    this.nextUpstreamId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  private sendUpstream(frameWithPrefix: Buffer): void {
    if (!this.upstream.write(frameWithPrefix) && !this.clientPaused) {
      this.clientPaused = true;
      this.client.pause();
      this.upstream.once("drain", () => {
        if (this.clientPaused && this.incoming.length < MAX_QUEUED_REQUESTS / 2) {
          this.clientPaused = false;
          this.client.resume();
        }
      });
    }
  }

  /** Forwards the client's frame unchanged except for the correlation id. */
  private forwardRaw(frame: Buffer, exp: Omit<Expected, "upstreamId"> | null): void {
    const upstreamId = this.takeUpstreamId();
    frame.writeInt32BE(upstreamId, 4);
    if (exp) this.expected.push({ ...exp, upstreamId });
    this.sendUpstream(withSizePrefix(frame));
  }

  private emitFaults(
    events: readonly Omit<Extract<KafkaProxyEvent, { type: "fault" }>, "connection">[],
  ): void {
    for (const e of events) {
      this.shared.stats.faults++;
      this.shared.emit({ ...e, connection: this.id });
    }
  }

  /** Relays a raw SASL token (or, on an opaque connection, any frame) unread; see sasl.ts. */
  private relaySaslFrame(frame: Buffer, kind: "token" | "opaque"): void {
    if (kind === "token")
      this.expected.push({
        upstreamId: -1,
        slot: this.newSlot(-1),
        apiKey: -1,
        apiVersion: -1,
        saslToken: true,
      });
    this.sendUpstream(withSizePrefix(frame));
  }

  private async handleRequest(frame: Buffer): Promise<void> {
    const saslFrame = this.sasl.clientFrame(frame);
    if (saslFrame !== "request") return this.relaySaslFrame(frame, saslFrame);
    const h = peekRequestHeader(frame);
    if (h.apiKey === API_KEYS.SaslHandshake) this.sasl.handshakeRequested(frame);
    this.shared.stats.requests++;
    const apiName = apiSchema(h.apiKey)?.name ?? `api ${h.apiKey}`;
    const byVersion = (this.shared.stats.requestVersions[apiName] ??= {});
    byVersion[h.apiVersion] = (byVersion[h.apiVersion] ?? 0) + 1;
    const rules = this.shared.rules();
    const supported = isSupported(h.apiKey, h.apiVersion);

    if (h.apiKey === API_KEYS.Produce && supported) {
      const acks = produceAcks(frame, h);
      const ctx: ProduceContext = {
        rules,
        clientId: h.clientId,
        sequences: this.shared.sequences,
        offsetHints: this.shared.offsetHints,
        duplicated: this.shared.duplicated,
        droppedPlain: this.shared.droppedPlain,
        maxDecompressedBytes: this.shared.maxDecompressedBytes,
        topicName: (id) => this.shared.topicName(id),
      };
      if (!produceNeedsInspection(ctx)) {
        const slot = acks !== 0 ? this.newSlot(h.correlationId) : null;
        return this.forwardRaw(frame, slot ? { slot, apiKey: h.apiKey, apiVersion: h.apiVersion } : null);
      }
      const req = decodeRequest(frame);
      if (req.apiKey !== API_KEYS.Produce) throw new Error("unreachable");
      if (!(await this.resolveUnknownTopicIds(req))) return;
      const plan = planProduce(req.body, ctx);
      for (const message of plan.warnings)
        this.shared.emit({ type: "warning", connection: this.id, message });
      this.emitFaults(plan.events);
      if (plan.disconnect) return this.close();
      const slot = acks !== 0 ? this.newSlot(h.correlationId) : null;
      if (plan.holdMs > 0) await sleep(plan.holdMs);
      if (this.closed) return;
      if (plan.forward) {
        const exp = slot
          ? {
              slot,
              apiKey: h.apiKey,
              apiVersion: h.apiVersion,
              produce: { request: plan.forward, local: plan.local },
            }
          : null;
        if (!plan.changed) this.forwardRaw(frame, exp);
        else {
          const upstreamId = this.takeUpstreamId();
          if (exp) this.expected.push({ ...exp, upstreamId });
          this.sendUpstream(
            encodeRequest(
              API_KEYS.Produce,
              h.apiVersion,
              upstreamId,
              h.clientId,
              plan.forward,
              req.header.unknownTaggedFields,
            ),
          );
        }
      } else if (slot) {
        slot.ready = encodeResponse(
          API_KEYS.Produce,
          h.apiVersion,
          h.correlationId,
          mergeProduceResponse(null, plan.local),
        );
      }
      if (plan.duplicate) {
        const upstreamId = this.takeUpstreamId();
        if (plan.duplicate.acks !== 0)
          this.expected.push({ upstreamId, slot: null, apiKey: h.apiKey, apiVersion: h.apiVersion });
        this.sendUpstream(
          encodeRequest(
            API_KEYS.Produce,
            h.apiVersion,
            upstreamId,
            "faultbox-proxy-duplicate",
            plan.duplicate,
          ),
        );
      }
      this.flush();
      return;
    }

    if (supported && rules.length > 0 && h.apiKey !== API_KEYS.ApiVersions) {
      const req = decodeRequest(frame);
      if (!(await this.resolveUnknownTopicIds(req))) return;
      const plan = planRequest(req, rules, h.clientId, (id) => this.shared.topicName(id));
      this.emitFaults(plan.events);
      if (plan.disconnect) return this.close();
      const slot = this.newSlot(h.correlationId);
      if (plan.holdMs > 0) await sleep(plan.holdMs);
      if (this.closed) return;
      if (plan.localError !== undefined && !canAnswerLocally(h.apiKey, h.apiVersion)) {
        this.shared.emit({
          type: "warning",
          connection: this.id,
          message: `error rule cannot answer ${apiSchema(h.apiKey)!.name} v${h.apiVersion} by itself (no top-level error field); the request was forwarded unchanged`,
        });
      } else if (plan.localError !== undefined) {
        slot.ready = encodeResponse(
          h.apiKey as ApiKey,
          h.apiVersion,
          h.correlationId,
          localErrorResponse(req, plan.localError) as never,
        );
        this.flush();
        return;
      }
      return this.forwardRaw(frame, {
        slot,
        apiKey: h.apiKey,
        apiVersion: h.apiVersion,
        responseError: plan.responseError,
      });
    }

    this.forwardRaw(frame, {
      slot: this.newSlot(h.correlationId),
      apiKey: h.apiKey,
      apiVersion: h.apiVersion,
    });
  }

  /**
   * Learns the names of the topic ids a request names that the proxy has not seen (Produce v13,
   * Fetch v13+, OffsetCommit/OffsetFetch v10), so rules match by name. False when the connection
   * closed meanwhile.
   */
  private async resolveUnknownTopicIds(req: DecodedRequest): Promise<boolean> {
    const unknown = requestTopicIds(req).filter((id) => !this.shared.topicName(id));
    if (unknown.length) await this.shared.resolveTopicIds([...new Set(unknown)], this.id);
    return !this.closed;
  }

  private onUpstreamData(chunk: Buffer): void {
    this.shared.stats.bytesFromBrokers += chunk.length;
    let frames: Buffer[];
    try {
      frames = this.upstreamFrames.push(chunk);
    } catch (e) {
      return this.malformed("upstream", e);
    }
    for (const frame of frames) {
      if (this.sasl.opaque && this.expected.length === 0) {
        this.slots.push({ clientCorrelationId: -1, ready: withSizePrefix(frame) });
        this.flush();
        continue;
      }
      const exp = this.expected.shift();
      if (!exp)
        return this.malformed("upstream", new Error("the broker sent a response to no outstanding request"));
      if (exp.saslToken) {
        exp.slot!.ready = withSizePrefix(frame);
        this.flush();
        continue;
      }
      const corr = frame.length >= 4 ? frame.readInt32BE(0) : NaN;
      if (corr !== exp.upstreamId) {
        return this.malformed(
          "upstream",
          new Error(`response correlation id ${corr} does not match the oldest request's ${exp.upstreamId}`),
        );
      }
      if (!exp.slot) continue; // a proxy-owned duplicate produce
      if (exp.apiKey === API_KEYS.SaslHandshake && exp.apiVersion === 0) {
        let warning: string | undefined;
        try {
          warning = this.sasl.handshakeAnswered(frame);
        } catch (e) {
          return this.malformed("upstream", e);
        }
        if (warning) this.shared.emit({ type: "warning", connection: this.id, message: warning });
      }
      this.shared.stats.responses++;
      this.transform(exp, frame).then(
        (out) => {
          exp.slot!.ready = out;
          this.flush();
        },
        (e) => this.malformed("upstream", e),
      );
    }
  }

  /** The response frame for the client (size prefix included). */
  private async transform(exp: Expected, frame: Buffer): Promise<Buffer> {
    const clientId = exp.slot!.clientCorrelationId;
    const key = exp.apiKey as ApiKey;
    if (isSupported(exp.apiKey, exp.apiVersion) || exp.apiKey === API_KEYS.ApiVersions) {
      if (exp.apiKey === API_KEYS.Produce && (exp.produce || exp.apiVersion >= 10)) {
        const r = decodeResponse(API_KEYS.Produce, exp.apiVersion, frame);
        const endpoints = await rewriteNodeEndpoints(r.body.nodeEndpoints, this.shared.advertise);
        if (exp.produce)
          learnOffsets(r.body, exp.produce.request, this.shared.offsetHints, (id) =>
            this.shared.topicName(id),
          );
        if (endpoints || exp.produce?.local.size) {
          const body = mergeProduceResponse(r.body, exp.produce?.local ?? new Map());
          return encodeResponse(API_KEYS.Produce, exp.apiVersion, clientId, body, r.headerTaggedFields);
        }
      } else if (exp.responseError) {
        const r = decodeResponse(key, exp.apiVersion, frame);
        setTopicErrors(r.body, exp.responseError.topics, exp.responseError.code, (id) =>
          this.shared.topicName(id),
        );
        if (exp.apiKey === API_KEYS.Fetch)
          await rewriteNodeEndpoints(
            (r.body as { nodeEndpoints?: never }).nodeEndpoints,
            this.shared.advertise,
          );
        return encodeResponse(key, exp.apiVersion, clientId, r.body as never, r.headerTaggedFields);
      } else {
        const rewritten = await rewriteResponse(
          exp.apiKey,
          exp.apiVersion,
          frame,
          this.shared.advertise,
          (b) => this.shared.learnTopicIds(b),
        );
        if (rewritten) {
          rewritten.writeInt32BE(clientId, 4);
          return rewritten;
        }
      }
    }
    frame.writeInt32BE(clientId, 0);
    return withSizePrefix(frame);
  }

  private flush(): void {
    if (this.closed) return;
    let wrote = false;
    while (this.slots.length && this.slots[0]!.ready) {
      if (!wrote) this.client.cork();
      wrote = true;
      const ok = this.client.write(this.slots.shift()!.ready!);
      if (!ok) {
        this.upstream.pause();
        this.client.once("drain", () => this.upstream.resume());
      }
    }
    if (wrote) this.client.uncork();
  }
}
