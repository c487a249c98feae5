// One client connection through the proxy, paired 1:1 with an upstream broker connection. Requests are
// handled one at a time in arrival order (a held request holds the ones behind it), forwarded with the
// proxy's own correlation ids, and every response slot is released to the client strictly in request
// order. Produce with acks=0 has no slot (the broker sends nothing back).
import type { Socket } from "node:net";
import {
  API_KEYS,
  apiSchema,
  FrameSplitter,
  IncrementalSkim,
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
  type FrameEvent,
  type MetadataResponse,
  type ProduceRequest,
  type RequestHeader,
} from "../wire/index.js";
import { apiName, type ActiveRule } from "../rules/index.js";
import type { KafkaProxyEvent } from "./events.js";
import {
  learnOffsets,
  mergeProduceResponse,
  planProduce,
  produceNeedsInspection,
  producePartitions,
  recordCopyOutcomes,
  type CopyRef,
  type ProduceContext,
  type ProducePlan,
} from "./produce.js";
import {
  canAnswerLocally,
  localErrorResponse,
  planRequest,
  requestActionTargets,
  requestTopicIds,
  setTopicErrors,
} from "./requests.js";
import { planRequestActions, type FaultEventBody, type RequestActions } from "./request-actions.js";
import { rewriteNodeEndpoints, rewriteResponse, type AdvertiseNode } from "./responses.js";
import type { SequenceTranslator } from "./sequences.js";
import { SaslV0Tracker } from "./sasl.js";
import { fetchHasNodeEndpoints, fetchHeadWalk, rewriteFetchTail } from "./fetch-tail.js";
import type { HeldRequests } from "../../held-requests.js";

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
  /** What delay rules hold (requests, responses, a throttle's mute): released when the test stops. */
  held: HeldRequests;
  emit(e: KafkaProxyEvent): void;
  /** Told of each answered request (latency -1: the connection closed first); absent = not timed. */
  onRequest?: (r: RequestTiming) => void;
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
  /** Frames above 1 MiB relayed as they arrived (cut-through), not buffered whole. */
  requestsStreamed: number;
  responsesStreamed: number;
  /** Requests a blackhole swallowed: the one that silenced a connection and every later one on it. */
  requestsSwallowed: number;
  /** Answers the client never got because of lose_response: the lost one and those behind it. */
  responsesLost: number;
}

/** One request's turn through the proxy: arrival to the response's last byte leaving. */
export interface RequestTiming {
  api: string;
  clientId: string | null;
  /** ms since the Unix epoch (fractional). */
  startedAt: number;
  latencyMs: number;
}

interface Slot {
  clientCorrelationId: number;
  /** Set when requests are timed (ProxyShared.onRequest). */
  timing?: { apiKey: number; clientId: string | null; startedAt: number };
  ready: Buffer | null;
  /** A response relayed in parts: its bytes so far not yet written, and whether the last has come. */
  stream?: { chunks: Buffer[]; done: boolean };
  /** delay_response: the response is held this long from when it arrives (timer set then). */
  hold?: { ms: number; event: FaultEventBody; cancel?: () => void };
  /** lose_response: where this response would be written, the client's connection closes. */
  lose?: FaultEventBody;
  /** throttle: throttle_time_ms to set on the response (re-encoded at this API and version). */
  throttle?: { ms: number; event: FaultEventBody; apiKey: ApiKey; apiVersion: number };
}

interface Expected {
  upstreamId: number;
  /** null: a proxy-owned request whose response is discarded. */
  slot: Slot | null;
  apiKey: number;
  apiVersion: number;
  produce?: { request: ProduceRequest | null; local: ProducePlan["local"] };
  /** Idempotent copies carried by this proxy-owned duplicate request. */
  copies?: readonly CopyRef[];
  responseError?: { code: number; topics: Set<string> };
  /** A raw SASL token (after SaslHandshake v0): the answer is the broker's next frame, relayed as is. */
  saslToken?: true;
}

/**
 * Responses above this size are relayed in parts as they arrive (cut-through) when only their
 * correlation id changes (and, for Fetch v16+, the small tagged tail): a consumer starts reading a
 * fetch while the broker is still sending it, instead of after the proxy has gathered all of it.
 * Responses that must be seen whole are gathered at any size.
 */
const STREAM_RESPONSES_ABOVE = 64 * 1024;
/** Of such a response, the bytes handed out first: the correlation id is all the relay decides from. */
const RESPONSE_HEAD_BYTES = 1024;

const MAX_QUEUED_REQUESTS = 256;
/** Client bytes queued behind a held request before the client is paused. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/**
 * Bytes written to a socket but not yet taken by the kernel before the other side is paused. Pausing at
 * Node's 16 KiB mark would stop and restart the reading side on every chunk of a streamed frame.
 */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** Bytes of streamed responses waiting for earlier responses before the broker side is paused. */
const MAX_HELD_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * A large request arriving in parts: relayed as it comes, gathered whole for inspection, or swallowed
 * (the connection is blackholed).
 */
type RequestInParts =
  { mode: "relay" } | { mode: "swallow" } | { mode: "gather"; frame: Buffer; filled: number };

/**
 * After a lost response the client's side is closed but the broker's is kept until it has answered
 * every request already forwarded (so what the broker stores does not depend on when the socket
 * closes), at most this long.
 */
const LOST_RESPONSE_DRAIN_MS = 60_000;

/** A large response arriving in parts. */
type ResponseInParts =
  | { mode: "discard" }
  /** Gathered whole, then handled like a small frame. */
  | { mode: "gather"; frame: Buffer; filled: number }
  | {
      mode: "relay";
      exp: Expected;
      slot: Slot;
      /** Fetch v16+: skims to the tagged section at the end, which is held back as `tail`. */
      skim: IncrementalSkim | null;
      tail: Buffer[];
    };

const eventBytes = (e: FrameEvent): number =>
  e.kind === "frame"
    ? e.frame.length
    : e.kind === "start"
      ? e.head.length
      : e.kind === "part"
        ? e.bytes.length
        : 0;

/** A buffer for a whole frame (size prefix first) that starts with `head`; frame view = result.subarray(4). */
function frameBuffer(size: number, head: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(4 + size);
  frame.writeInt32BE(size, 0);
  head.copy(frame, 4);
  return frame;
}

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

export class ProxyConnection {
  private readonly clientFrames = new FrameSplitter();
  private readonly upstreamFrames = new FrameSplitter(STREAM_RESPONSES_ABOVE, RESPONSE_HEAD_BYTES);
  private readonly slots: Slot[] = [];
  private readonly expected: Expected[] = [];
  private readonly incoming: FrameEvent[] = [];
  private queuedBytes = 0;
  private requestInParts: RequestInParts | null = null;
  private responseInParts: ResponseInParts | null = null;
  /** Bytes of streamed responses held until their slot reaches the head of the queue. */
  private heldResponseBytes = 0;
  private processing = false;
  /** Why each side is paused; a side resumes when it has no reason left. */
  private readonly clientPauses = new Set<"queue" | "upstream-full">();
  private readonly upstreamPauses = new Set<"order" | "client-full">();
  private nextUpstreamId = 1;
  /** The client's side is closed (the broker's side may still drain, see LOST_RESPONSE_DRAIN_MS). */
  private closed = false;
  /** The id of the blackhole rule that silenced this connection: every request is swallowed. */
  private silencedBy: number | null = null;
  /**
   * The client's network lost the broker (isolate(clients=True)): what either side sends is swallowed
   * until the connection closes; the heal closes it.
   */
  private isolated = false;
  /** A throttled response was written: no request is read before this time (Date.now() ms). */
  private mutedUntil = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Waits in progress (delay holds, throttle mutes), ended early when the connection closes. */
  /** Ends each wait in progress (a delay hold, a throttle's mute) when the connection closes. */
  private readonly waits = new Set<() => void>();
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
    // Once closed, the client's side going away must not cut a drain of the broker's side.
    client.on("close", () => this.closed || this.close());
    upstream.on("close", () => this.close());
    client.on("error", () => this.closed || this.close());
    upstream.on("error", (e) => {
      if (!this.closed)
        shared.emit({ type: "warning", connection: id, message: `upstream connection failed: ${e.message}` });
      this.close();
    });
  }

  /**
   * Closes the connection. `drainUpstream` (a lost response): the broker's side stays open until it
   * has answered every request already forwarded, so the broker processes all of them.
   */
  close(drainUpstream = false): void {
    if (this.closed) {
      if (!drainUpstream) this.upstream.destroy();
      return;
    }
    this.closed = true;
    for (const slot of this.slots) this.timed(slot, false);
    this.shared.stats.connectionsActive--;
    this.client.destroy();
    for (const slot of this.slots) slot.hold?.cancel?.();
    // A long delay or throttle must not keep the process alive past the connection.
    for (const end of [...this.waits]) end();
    if (drainUpstream && this.expected.length > 0) {
      this.drainTimer = setTimeout(() => this.upstream.destroy(), LOST_RESPONSE_DRAIN_MS);
      this.upstream.once("close", () => clearTimeout(this.drainTimer));
      this.resumeUpstream("order");
      this.resumeUpstream("client-full");
    } else this.upstream.destroy();
    this.shared.emit({
      type: "connection",
      action: "close",
      connection: this.id,
      listener: "",
      upstream: "",
    });
  }

  /**
   * Resolves after `ms`, as soon as the connection closes, or when the proxy releases what it holds
   * (the test stopped): true in that last case.
   */
  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const end = () => {
        cancel();
        this.waits.delete(end);
        resolve(false);
      };
      const cancel = this.shared.held.after(ms, (released) => {
        this.waits.delete(end);
        resolve(released);
      });
      this.waits.add(end);
    });
  }

  private malformed(from: "client" | "upstream", e: unknown): void {
    if (this.closed) return this.close(); // a drain of the broker's side ends here

    const reason = e instanceof Error ? e.message : String(e);
    this.shared.emit({ type: "malformed", connection: this.id, from, reason });
    this.close();
  }

  private pauseClient(reason: "queue" | "upstream-full"): void {
    if (this.clientPauses.size === 0) this.client.pause();
    this.clientPauses.add(reason);
  }

  private resumeClient(reason: "queue" | "upstream-full"): void {
    if (this.clientPauses.delete(reason) && this.clientPauses.size === 0 && !this.closed)
      this.client.resume();
  }

  private pauseUpstream(reason: "order" | "client-full"): void {
    if (this.upstreamPauses.size === 0) this.upstream.pause();
    this.upstreamPauses.add(reason);
  }

  private resumeUpstream(reason: "order" | "client-full"): void {
    if (this.upstreamPauses.delete(reason) && this.upstreamPauses.size === 0 && !this.closed)
      this.upstream.resume();
  }

  /** Closes the connection if isolate() cut it (a heal: the client reconnects). */
  closeIfIsolated(): void {
    if (this.isolated) this.close();
  }

  /** The upstream address this connection relays to ("host:port"). */
  get upstreamAt(): string {
    return this.upstreamAddress;
  }

  /**
   * A network partition between the client and this broker: from now on nothing crosses either way
   * (bytes already queued or held by a delay are dropped when they would be written), and both
   * sockets keep being read so the peers' bytes are swallowed, not left in the kernel.
   */
  isolate(): void {
    if (this.isolated || this.closed) return;
    this.isolated = true;
    this.clientPauses.clear();
    this.upstreamPauses.clear();
    this.client.resume();
    this.upstream.resume();
  }

  private onClientData(chunk: Buffer): void {
    this.shared.stats.bytesFromClients += chunk.length;
    if (this.isolated) return;
    let events: FrameEvent[];
    try {
      events = this.clientFrames.push(chunk);
    } catch (e) {
      return this.malformed("client", e);
    }
    if (events.length === 0) return;
    for (const e of events) {
      this.incoming.push(e);
      this.queuedBytes += eventBytes(e);
    }
    if (this.incoming.length > MAX_QUEUED_REQUESTS || this.queuedBytes > MAX_QUEUED_BYTES)
      this.pauseClient("queue");
    // The requests relayed without waiting (most) leave in one write, not one system call each.
    this.upstream.cork();
    void this.pump();
    this.upstream.uncork();
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.incoming.length && !this.closed) {
        // A throttled response was written: like a Kafka broker (KIP-219), read no request until the
        // throttle time is over (the client should not send any meanwhile).
        const muted = this.mutedUntil - Date.now();
        if (muted > 0 && (this.incoming[0]!.kind === "frame" || this.incoming[0]!.kind === "start")) {
          // Released (the test stopped): the mute ends with it.
          if (await this.wait(muted)) this.mutedUntil = 0;
          continue;
        }
        const event = this.incoming.shift()!;
        this.queuedBytes -= eventBytes(event);
        try {
          // Most requests are relayed synchronously: only wait (a microtask or more) when one is pending.
          const pending = this.handleClientEvent(event);
          if (pending) await pending;
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
        if (this.incoming.length < MAX_QUEUED_REQUESTS / 2 && this.queuedBytes < MAX_QUEUED_BYTES / 2)
          this.resumeClient("queue");
      }
    } finally {
      this.processing = false;
    }
  }

  private handleClientEvent(event: FrameEvent): Promise<void> | void {
    if (this.silencedBy !== null || this.requestInParts?.mode === "swallow") return this.swallow(event);
    switch (event.kind) {
      case "frame":
        return this.handleRequest(event.frame);
      case "start":
        return this.startRequestInParts(event.size, event.head);
      case "part": {
        const r = this.requestInParts!;
        if (r.mode === "relay") this.sendUpstream(event.bytes);
        else if (r.mode === "gather") {
          event.bytes.copy(r.frame, r.filled);
          r.filled += event.bytes.length;
        }
        return;
      }
      case "end": {
        const r = this.requestInParts!;
        this.requestInParts = null;
        if (r.mode === "gather") return this.handleRequest(r.frame.subarray(4));
      }
    }
  }

  /** A blackholed connection: the request is neither forwarded nor answered. */
  private swallow(event: FrameEvent): void {
    if (event.kind === "frame" || event.kind === "start") this.shared.stats.requestsSwallowed++;
    if (event.kind === "start") this.requestInParts = { mode: "swallow" };
    else if (event.kind === "end") this.requestInParts = null;
  }

  /** A blackhole rule fired for a request: it and every later request on this connection are swallowed. */
  private silence(b: NonNullable<RequestActions["blackhole"]>): void {
    this.silencedBy = b.ruleId;
    this.shared.stats.requestsSwallowed++;
    this.emitFaults([b.event]);
  }

  /**
   * The proxy's rules changed: a connection silenced by a blackhole rule that is gone is closed (the
   * swallowed requests will never be answered; the client reconnects and sends them again).
   */
  rulesChanged(active: ReadonlySet<number>): void {
    if (this.silencedBy !== null && !active.has(this.silencedBy)) this.close();
  }

  /**
   * The first bytes of a large request: relayed at once when it needs no change but its correlation
   * id (cut-through), else gathered whole for the rules to inspect.
   */
  private startRequestInParts(size: number, head: Buffer): void {
    let raw: ReturnType<ProxyConnection["rawForwardPlan"]> = "inspect";
    let h: RequestHeader | undefined;
    try {
      // Raw SASL tokens (after a SaslHandshake v0) are no Kafka requests: the whole-frame path judges them.
      if (this.sasl.mechanism === undefined) h = peekRequestHeader(head);
    } catch {
      // A header longer than the head: let the whole-frame path judge it.
    }
    if (h?.apiKey === API_KEYS.SaslHandshake) h = undefined;
    if (h) raw = this.rawForwardPlan(h, head);
    if (raw === "inspect") {
      this.requestInParts = { mode: "gather", frame: frameBuffer(size, head), filled: 4 + head.length };
      return;
    }
    this.countRequest(h!);
    this.shared.stats.requestsStreamed++;
    this.requestInParts = { mode: "relay" };
    this.forwardRaw(head, raw);
  }

  /**
   * For a request that only needs its correlation id replaced: its response slot (null for acks=0
   * produce, which gets no response). "inspect" when rules or sequence state must see it whole.
   * `frame` may be only the frame's head (it is read as far as Produce's acks).
   */
  private rawForwardPlan(h: RequestHeader, frame: Buffer): Omit<Expected, "upstreamId"> | null | "inspect" {
    const supported = isSupported(h.apiKey, h.apiVersion);
    if (h.apiKey === API_KEYS.Produce && supported) {
      // Read from the shared state directly: a ProduceContext is built only for a request inspected.
      const { sequences, droppedPlain } = this.shared;
      if (produceNeedsInspection({ rules: this.shared.rules(), sequences, droppedPlain })) return "inspect";
      const acks = produceAcks(frame, h);
      return acks !== 0
        ? { slot: this.newSlot(h.correlationId, undefined, h), apiKey: h.apiKey, apiVersion: h.apiVersion }
        : null;
    }
    if (supported && this.shared.rules().length > 0 && h.apiKey !== API_KEYS.ApiVersions) return "inspect";
    return { slot: this.newSlot(h.correlationId, undefined, h), apiKey: h.apiKey, apiVersion: h.apiVersion };
  }

  private produceContext(h: RequestHeader): ProduceContext {
    return {
      rules: this.shared.rules(),
      clientId: h.clientId,
      sequences: this.shared.sequences,
      offsetHints: this.shared.offsetHints,
      duplicated: this.shared.duplicated,
      droppedPlain: this.shared.droppedPlain,
      maxDecompressedBytes: this.shared.maxDecompressedBytes,
      topicName: (id) => this.shared.topicName(id),
    };
  }

  /** A response slot; `actions` (request-level rules that fired) decide what happens to its response. */
  private newSlot(clientCorrelationId: number, actions?: RequestActions, h?: RequestHeader): Slot {
    const slot: Slot = { clientCorrelationId, ready: null };
    if (actions?.hold) slot.hold = { ms: actions.hold.ms, event: actions.hold.event };
    if (actions?.lose) slot.lose = actions.lose;
    if (actions?.throttle && h)
      slot.throttle = { ...actions.throttle, apiKey: h.apiKey as ApiKey, apiVersion: h.apiVersion };
    if (h && this.shared.onRequest)
      slot.timing = {
        apiKey: h.apiKey,
        clientId: h.clientId,
        startedAt: performance.timeOrigin + performance.now(),
      };
    this.slots.push(slot);
    return slot;
  }

  /** Reports a timed request whose response left (or never will: latency -1). */
  private timed(slot: Slot, answered: boolean): void {
    const t = slot.timing;
    if (!t || !this.shared.onRequest) return;
    const now = performance.timeOrigin + performance.now();
    this.shared.onRequest({
      api: apiSchema(t.apiKey)?.name ?? `api ${t.apiKey}`,
      clientId: t.clientId,
      startedAt: t.startedAt,
      latencyMs: answered ? now - t.startedAt : -1,
    });
  }

  private emitWarnings(messages: readonly string[]): void {
    for (const message of messages) this.shared.emit({ type: "warning", connection: this.id, message });
  }

  private takeUpstreamId(): number {
    const id = this.nextUpstreamId;
    this.nextUpstreamId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  private sendUpstream(bytes: Buffer): void {
    if (this.isolated) return;
    if (
      !this.upstream.write(bytes) &&
      this.upstream.writableLength > MAX_UNSENT_BYTES &&
      !this.clientPauses.has("upstream-full")
    ) {
      this.pauseClient("upstream-full");
      this.upstream.once("drain", () => this.resumeClient("upstream-full"));
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

  /** Handles one whole request; returns a promise only when it must wait (inspection, a delay). */
  private handleRequest(frame: Buffer): Promise<void> | void {
    const saslFrame = this.sasl.clientFrame(frame);
    if (saslFrame !== "request") return this.relaySaslFrame(frame, saslFrame);
    const h = peekRequestHeader(frame);
    if (h.apiKey === API_KEYS.SaslHandshake) this.sasl.handshakeRequested(frame);
    this.countRequest(h);
    const raw = this.rawForwardPlan(h, frame);
    if (raw !== "inspect") return this.forwardRaw(frame, raw);
    return this.inspectRequest(frame, h);
  }

  private countRequest(h: RequestHeader): void {
    this.shared.stats.requests++;
    const name = apiSchema(h.apiKey)?.name ?? `api ${h.apiKey}`;
    const byVersion = (this.shared.stats.requestVersions[name] ??= {});
    byVersion[h.apiVersion] = (byVersion[h.apiVersion] ?? 0) + 1;
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

  private async inspectRequest(frame: Buffer, h: RequestHeader): Promise<void> {
    const rules = this.shared.rules();

    if (h.apiKey === API_KEYS.Produce) {
      const acks = produceAcks(frame, h);
      const ctx = this.produceContext(h);
      const req = decodeRequest(frame);
      if (req.apiKey !== API_KEYS.Produce) throw new Error("unreachable");
      if (!(await this.resolveUnknownTopicIds(req))) return;
      const warnings: string[] = [];
      const topics = producePartitions(req.body, ctx, warnings);
      const actions = planRequestActions(
        rules,
        topics.flatMap((t) =>
          t.partitions.map((p) => ({
            target: p.target,
            topic: t.name,
            partition: p.p.index,
            records: p.count,
            idempotent: p.batch ? p.batch.header.producerId >= 0n : undefined,
          })),
        ),
        "produce",
        acks !== 0,
      );
      if (actions.blackhole) {
        this.emitWarnings(warnings);
        return this.silence(actions.blackhole);
      }
      const plan = planProduce(req.body, ctx, topics, warnings);
      this.emitWarnings(plan.warnings);
      this.emitFaults(plan.events);
      if (plan.disconnect) return this.close();
      const slot = acks !== 0 ? this.newSlot(h.correlationId, actions, h) : null;
      if (plan.holdMs > 0) await this.wait(plan.holdMs);
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
          this.expected.push({
            upstreamId,
            slot: null,
            apiKey: h.apiKey,
            apiVersion: h.apiVersion,
            ...(plan.copies.length ? { copies: plan.copies } : {}),
          });
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

    {
      const req = decodeRequest(frame);
      if (!(await this.resolveUnknownTopicIds(req))) return;
      const topicName = (id: string) => this.shared.topicName(id);
      const actions = planRequestActions(
        rules,
        requestActionTargets(req, h.clientId, topicName),
        apiName(apiSchema(h.apiKey)!.name),
        true,
      );
      if (actions.blackhole) return this.silence(actions.blackhole);
      const plan = planRequest(req, rules, h.clientId, topicName);
      this.emitFaults(plan.events);
      if (plan.disconnect) return this.close();
      const slot = this.newSlot(h.correlationId, actions, h);
      if (plan.holdMs > 0) await this.wait(plan.holdMs);
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
  }

  private onUpstreamData(chunk: Buffer): void {
    this.shared.stats.bytesFromBrokers += chunk.length;
    if (this.isolated) return;
    let events: FrameEvent[];
    try {
      events = this.upstreamFrames.push(chunk);
    } catch (e) {
      return this.malformed("upstream", e);
    }
    // The responses of one chunk leave in one write, not one system call each.
    this.client.cork();
    try {
      for (const event of events) {
        try {
          if (event.kind === "frame") this.onResponseFrame(event.frame);
          else if (event.kind === "start") this.startResponseInParts(event.size, event.head);
          else if (event.kind === "part") this.responsePart(event.bytes);
          else this.endResponseInParts();
        } catch (e) {
          return this.malformed("upstream", e);
        }
        if (this.closed && this.upstream.destroyed) return;
      }
    } finally {
      this.client.uncork();
    }
    // Draining after a lost response: every forwarded request has been answered.
    if (this.closed && this.expected.length === 0 && !this.responseInParts) this.upstream.destroy();
  }

  /** The oldest outstanding request, checked against a response's correlation id; throws if none. */
  private takeExpected(frame: Buffer): Expected {
    const exp = this.expected.shift();
    if (!exp) throw new KafkaDecodeError("the broker sent a response to no outstanding request");
    const corr = frame.length >= 4 ? frame.readInt32BE(0) : NaN;
    if (corr !== exp.upstreamId)
      throw new KafkaDecodeError(
        `response correlation id ${corr} does not match the oldest request's ${exp.upstreamId}`,
      );
    return exp;
  }

  private onResponseFrame(frame: Buffer): void {
    if (this.sasl.opaque && this.expected.length === 0) {
      this.slots.push({ clientCorrelationId: -1, ready: withSizePrefix(frame) });
      return this.flush();
    }
    if (this.expected[0]?.saslToken) {
      const exp = this.expected.shift()!;
      exp.slot!.ready = withSizePrefix(frame);
      return this.flush();
    }
    const exp = this.takeExpected(frame);
    if (!exp.slot) {
      // A proxy-owned duplicate produce: its answer only tells whether idempotent copies were stored.
      if (exp.copies) this.recordCopies(exp, frame);
      return;
    }
    if (exp.apiKey === API_KEYS.SaslHandshake && exp.apiVersion === 0) {
      const warning = this.sasl.handshakeAnswered(frame);
      if (warning) this.shared.emit({ type: "warning", connection: this.id, message: warning });
    }
    this.deliver(exp, frame);
  }

  private recordCopies(exp: Expected, frame: Buffer): void {
    let body = null;
    try {
      body = decodeResponse(API_KEYS.Produce, exp.apiVersion, frame).body;
    } catch (e) {
      this.shared.emit({
        type: "warning",
        connection: this.id,
        message: `unreadable answer to a duplicate copy: ${(e as Error).message}`,
      });
    }
    for (const message of recordCopyOutcomes(body, exp.copies!, this.shared.sequences))
      this.shared.emit({ type: "warning", connection: this.id, message });
  }

  /** Transforms a whole response and releases it in its slot's turn. */
  private deliver(exp: Expected, frame: Buffer): void {
    this.shared.stats.responses++;
    if (
      !this.responseNeedsWhole(exp) &&
      !(exp.apiKey === API_KEYS.Fetch && fetchHasNodeEndpoints(exp.apiVersion))
    ) {
      // Only the correlation id changes: no need to wait a turn for an asynchronous transform.
      frame.writeInt32BE(exp.slot!.clientCorrelationId, 0);
      exp.slot!.ready = withSizePrefix(frame);
      return this.flush();
    }
    this.transform(exp, frame).then(
      (out) => {
        exp.slot!.ready = out;
        this.flush();
      },
      (e) => this.malformed("upstream", e),
    );
  }

  /** Whether a response must be seen whole (its body is rewritten or inspected), as transform() does. */
  private responseNeedsWhole(exp: Expected): boolean {
    if (!isSupported(exp.apiKey, exp.apiVersion) && exp.apiKey !== API_KEYS.ApiVersions) return false;
    if (exp.apiKey === API_KEYS.Produce) return !!exp.produce || exp.apiVersion >= 10;
    if (exp.responseError) return true;
    return (
      exp.apiKey === API_KEYS.ApiVersions ||
      exp.apiKey === API_KEYS.Metadata ||
      exp.apiKey === API_KEYS.FindCoordinator ||
      exp.apiKey === API_KEYS.DescribeCluster
    );
  }

  /**
   * The first bytes of a large response. Relayed as they come when only the correlation id changes
   * (Fetch v16+: all but the tagged section at the end, which may hold node endpoints); gathered whole
   * when the body must be rewritten. A relayed response is written only once its slot is the oldest.
   */
  private startResponseInParts(size: number, head: Buffer): void {
    if (this.closed) {
      // Draining after a lost response: nobody will read it.
      this.takeExpected(head);
      this.responseInParts = { mode: "discard" };
      return;
    }
    const next = this.expected[0];
    const whole =
      (next === undefined && this.sasl.opaque) ||
      next?.saslToken ||
      next?.copies || // a duplicate copy's answer is read for the copies' fate
      (next?.slot &&
        (this.responseNeedsWhole(next) || next.apiKey === API_KEYS.SaslHandshake || next.slot.throttle));
    if (whole) {
      this.responseInParts = { mode: "gather", frame: frameBuffer(size, head), filled: 4 + head.length };
      return;
    }
    const exp = this.takeExpected(head);
    if (!exp.slot) {
      this.responseInParts = { mode: "discard" };
      return;
    }
    this.shared.stats.responses++;
    this.shared.stats.responsesStreamed++;
    const slot = exp.slot;
    slot.stream = { chunks: [], done: false };
    head.writeInt32BE(slot.clientCorrelationId, 0);
    const skim =
      exp.apiKey === API_KEYS.Fetch &&
      isSupported(exp.apiKey, exp.apiVersion) &&
      fetchHasNodeEndpoints(exp.apiVersion)
        ? new IncrementalSkim(fetchHeadWalk(exp.apiVersion), size)
        : null;
    this.responseInParts = { mode: "relay", exp, slot, skim, tail: [] };
    this.relayOut(slot, withSizePrefix(head).subarray(0, 4));
    this.responsePart(head);
  }

  private responsePart(bytes: Buffer): void {
    const r = this.responseInParts!;
    if (r.mode === "discard") return;
    if (r.mode === "gather") {
      bytes.copy(r.frame, r.filled);
      r.filled += bytes.length;
      return;
    }
    if (!r.skim) return this.relayOut(r.slot, bytes);
    const used = r.skim.done ? 0 : r.skim.push(bytes);
    if (used > 0) this.relayOut(r.slot, bytes.subarray(0, used));
    if (used < bytes.length) r.tail.push(bytes.subarray(used));
  }

  private endResponseInParts(): void {
    const r = this.responseInParts!;
    this.responseInParts = null;
    if (r.mode === "discard") return;
    if (r.mode === "gather") return this.onResponseFrame(r.frame.subarray(4));
    if (!r.skim) return this.finishRelay(r.slot);
    const tail = Buffer.concat(r.tail);
    rewriteFetchTail(tail, r.exp.apiVersion, this.shared.advertise, true).then(
      (out) => {
        if (out?.warning) this.shared.emit({ type: "warning", connection: this.id, message: out.warning });
        this.relayOut(r.slot, out ? out.tail : tail);
        this.finishRelay(r.slot);
      },
      (e) => this.malformed("upstream", e),
    );
  }

  /** Queues bytes of a relayed response; they leave as soon as its slot is the oldest. */
  private relayOut(slot: Slot, bytes: Buffer): void {
    slot.stream!.chunks.push(bytes);
    this.heldResponseBytes += bytes.length;
    this.flush();
    if (this.heldResponseBytes > MAX_HELD_RESPONSE_BYTES) this.pauseUpstream("order");
  }

  private finishRelay(slot: Slot): void {
    slot.stream!.done = true;
    this.flush();
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

  private writeClient(bytes: Buffer): void {
    if (this.isolated) return;
    if (
      !this.client.write(bytes) &&
      this.client.writableLength > MAX_UNSENT_BYTES &&
      !this.upstreamPauses.has("client-full")
    ) {
      this.pauseUpstream("client-full");
      this.client.once("drain", () => this.resumeUpstream("client-full"));
    }
  }

  /**
   * Writes out responses strictly in request order: the oldest slot first, and nothing past one not
   * ready. Response-side rules act here, in the slot's turn: a held response waits (and all behind
   * it), a lost one closes the connection, a throttled one is rewritten and mutes the connection.
   */
  private flush(): void {
    if (this.closed) return;
    this.startHolds();
    let wrote = false;
    while (this.slots.length) {
      const slot = this.slots[0]!;
      if (slot.hold) break; // its timer flushes again
      if (slot.lose && (slot.ready || slot.stream)) {
        if (wrote) this.client.uncork();
        return this.loseResponses(slot.lose);
      }
      if (slot.stream) {
        if (slot.stream.chunks.length && !wrote) this.client.cork();
        for (const c of slot.stream.chunks) {
          wrote = true;
          this.heldResponseBytes -= c.length;
          this.writeClient(c);
        }
        slot.stream.chunks = [];
        if (!slot.stream.done) break;
      } else {
        if (!slot.ready) break;
        if (!wrote) this.client.cork();
        wrote = true;
        const out = slot.throttle ? this.throttled(slot.ready, slot.throttle) : slot.ready;
        if (!out) return; // unreadable: the connection was closed
        this.writeClient(out);
      }
      this.timed(this.slots.shift()!, true);
    }
    if (wrote) this.client.uncork();
    if (this.heldResponseBytes < MAX_HELD_RESPONSE_BYTES / 2) this.resumeUpstream("order");
  }

  /** delay_response: a held response's time starts when it arrives, whatever its place in the queue. */
  private startHolds(): void {
    for (const slot of this.slots) {
      const hold = slot.hold;
      if (!hold || hold.cancel || !(slot.ready || slot.stream)) continue;
      this.emitFaults([hold.event]);
      hold.cancel = this.shared.held.after(hold.ms, () => {
        slot.hold = undefined;
        this.flush();
      });
    }
  }

  /**
   * lose_response: the client's connection closes where this response would be written; the answers
   * behind it are lost too. The broker's side drains first (see close()).
   */
  private loseResponses(event: FaultEventBody): void {
    const lost = this.slots.length;
    this.shared.stats.responsesLost += lost;
    this.emitFaults([{ ...event, lostAfter: lost - 1 }]);
    this.close(true);
  }

  /**
   * throttle: sets throttle_time_ms (keeping a larger one the broker set) and mutes the connection for
   * that long, as a broker enforcing a quota does since KIP-219. A version without the field cannot
   * say it; the mute still holds the connection.
   */
  private throttled(frame: Buffer, t: NonNullable<Slot["throttle"]>): Buffer | null {
    this.mutedUntil = Math.max(this.mutedUntil, Date.now() + t.ms);
    let out = frame;
    let carried = false;
    try {
      const r = decodeResponse(t.apiKey, t.apiVersion, frame.subarray(4));
      const body = r.body as { throttleTimeMs?: number };
      if ("throttleTimeMs" in body) {
        body.throttleTimeMs = Math.max(body.throttleTimeMs ?? 0, t.ms);
        out = encodeResponse(t.apiKey, t.apiVersion, r.correlationId, body as never, r.headerTaggedFields);
        carried = true;
      }
    } catch (e) {
      this.malformed("upstream", e);
      return null;
    }
    this.emitFaults([t.event]);
    if (!carried)
      this.emitWarnings([
        `throttle: ${apiSchema(t.apiKey)!.name} v${t.apiVersion} responses have no throttle_time_ms; the connection was muted for ${t.ms}ms without telling the client`,
      ]);
    return out;
  }
}
