/**
 * A fault-injecting Kafka proxy in front of a real cluster.
 *
 *   const proxy = await startKafkaProxy({ upstream: "127.0.0.1:9092", seed: 42, onEvent: console.log });
 *   // clients use proxy.bootstrap; every broker they learn about is one of the proxy's listeners
 *   const id = proxy.addRule(drop({ topic: "orders" }));
 *   proxy.removeRule(id); proxy.setRules([delay({ topic: "*", delay: "3s" })]); proxy.clearRules();
 *   await proxy.close();
 *
 * One listener for the bootstrap address, plus one per broker node, created when a response first
 * names the node. Rules come from src/protocols/kafka/rules (drop, delay, duplicate, error, disconnect;
 * loseResponse, delayResponse, throttle, blackhole on the response side).
 */
import { createServer, connect, type Server, type Socket, type AddressInfo } from "node:net";
import { ActiveRule, type FaultRule } from "../rules/index.js";
import { DEFAULT_MAX_DECOMPRESSED_BYTES, ZERO_UUID, type MetadataResponse } from "../wire/index.js";
import { ProxyConnection, type ProxyShared, type ProxyStats, type RequestTiming } from "./connection.js";
import type { KafkaProxyEvent } from "./events.js";
import { SequenceTranslator } from "./sequences.js";
import { lookupTopicNames } from "./topic-lookup.js";
import { HeldRequests } from "../../held-requests.js";

/** How long a bootstrap connection waits for one broker of a cluster to accept before trying the next. */
const FAILOVER_CONNECT_MS = 5000;

export type {
  KafkaProxyEvent,
  FaultEvent,
  MalformedEvent,
  ConnectionEvent,
  WarningEvent,
  ListenerEvent,
} from "./events.js";
export type { ProxyStats, RequestTiming } from "./connection.js";

export interface KafkaProxyOptions {
  /** Bootstrap address of the real cluster, "host:port", or several, "host:port,host:port". */
  upstream: string;
  /** Interface the proxy listens on (and advertises to clients). Default 127.0.0.1. */
  host?: string;
  /** Seed of the generator behind `probability`. Default 0. */
  seed?: number;
  /**
   * The most bytes one compressed batch may decompress to when a key= rule reads its keys. Past it,
   * the batch is forwarded unread (key= rules do not match it) with a `warning` event. Default 64 MiB.
   */
  maxDecompressedBytes?: number;
  onEvent?: (e: KafkaProxyEvent) => void;
  /** Each request relayed, with its latency (arrival to the response leaving the proxy). */
  onRequest?: (r: RequestTiming) => void;
}

export interface KafkaProxy {
  /** "host:port" for clients' bootstrap.servers. */
  readonly bootstrap: string;
  /** Proxy listener address by broker node id (as advertised to clients). */
  readonly nodes: ReadonlyMap<string, string>;
  setRules(rules: FaultRule[]): number[];
  addRule(rule: FaultRule): number;
  removeRule(id: number): boolean;
  clearRules(): void;
  /**
   * Rules added from now on draw from this seed (a test run's own seed, so its draws do not depend
   * on earlier tests). With no rule installed, rule ids restart at 1, as in a fresh proxy.
   */
  reseed(seed: number): void;
  /** Lets every request a delay rule holds go on now (the test that delayed them stopped). */
  releaseHeld(): void;
  /**
   * Cuts the clients off one broker ("host:port", one of the upstream addresses or a node's): its
   * open connections swallow what flows both ways, new connections to its listener are accepted and
   * held unanswered (as a network that drops packets would), and bootstrap connections skip it (the
   * `connection` event lists it in `refused` as "isolated"). heal() ends it.
   */
  isolate(upstream: string): void;
  /** Ends isolate(): what it held is closed (the clients reconnect) and new connections pass. */
  heal(upstream: string): void;
  /** The upstream addresses isolate() cut off, in the order they were isolated. */
  isolated(): string[];
  /** Installed rules with how often each matched and fired. */
  rules(): { id: number; rule: string; matched: number; fired: number }[];
  readonly stats: Readonly<ProxyStats>;
  close(): Promise<void>;
}

function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`bad Kafka address ${JSON.stringify(s)}: expected host:port`);
  }
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port };
}

interface Listener {
  server: Server;
  port: number;
  upstream: { host: string; port: number };
}

export async function startKafkaProxy(options: KafkaProxyOptions): Promise<KafkaProxy> {
  const host = options.host ?? "127.0.0.1";
  let seed = options.seed ?? 0;
  const maxBytes = options.maxDecompressedBytes;
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) {
    throw new Error(`maxDecompressedBytes must be a positive whole number of bytes, got ${maxBytes}`);
  }
  // Several bootstrap addresses ("a:1,b:2"): the brokers of one cluster. A new bootstrap connection
  // tries them in order, those that refused a connection in the last few seconds last, and goes to the
  // first that accepts it, so clients still find the cluster while one broker is down (killed or stopped
  // by a service action) and no client connection is lost to a dead broker.
  const bootstrapCandidates = options.upstream.split(",").map((a) => parseHostPort(a.trim()));
  const refusedAt = new Map<string, number>();
  const REFUSED_MEMORY_MS = 5000;
  const addressOf = (a: { host: string; port: number }) => `${a.host}:${a.port}`;
  const recentlyRefused = (a: { host: string; port: number }) =>
    Date.now() - (refusedAt.get(addressOf(a)) ?? 0) <= REFUSED_MEMORY_MS;
  /** The bootstrap addresses in the order a new connection tries them. */
  const bootstrapOrder = () => [
    ...bootstrapCandidates.filter((a) => !recentlyRefused(a)),
    ...bootstrapCandidates.filter(recentlyRefused),
  ];
  const bootstrapTarget = () => bootstrapOrder()[0]!;
  /** Upstream addresses cut off from the clients (isolate()), and the client sockets held for each. */
  const isolated = new Map<string, Set<Socket>>();
  const bootstrapUpstream = bootstrapCandidates[0]!;
  const emit = (e: KafkaProxyEvent) => {
    try {
      options.onEvent?.(e);
    } catch {
      // an observer's bug must not break the traffic
    }
  };

  let active: ActiveRule[] = [];
  const connections = new Set<ProxyConnection>();
  /** Tells every connection which rules remain (a blackholed one closes when its rule is gone). */
  const rulesChanged = () => {
    const ids = new Set(active.map((r) => r.id));
    for (const c of connections) c.rulesChanged(ids);
  };
  let nextRuleId = 1;
  let connSeq = 0;
  const topicNames = new Map<string, string>();
  const listeners = new Map<string, Promise<Listener>>();
  const sockets = new Set<Socket>();
  const stats: ProxyStats = {
    connectionsTotal: 0,
    connectionsActive: 0,
    requests: 0,
    responses: 0,
    faults: 0,
    bytesFromClients: 0,
    bytesFromBrokers: 0,
    requestVersions: {},
    requestsStreamed: 0,
    responsesStreamed: 0,
    requestsSwallowed: 0,
    responsesLost: 0,
  };
  let closing = false;

  const held = new HeldRequests();
  const shared: ProxyShared = {
    held,
    rules: () => active,
    maxDecompressedBytes: options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
    advertise: async (node, upHost, upPort) => {
      let p = listeners.get(node);
      if (!p) {
        p = listen(node, { host: upHost, port: upPort });
        listeners.set(node, p);
      }
      const l = await p;
      if (l.upstream.host !== upHost || l.upstream.port !== upPort)
        l.upstream = { host: upHost, port: upPort };
      return { host, port: l.port };
    },
    learnTopicIds: (body: MetadataResponse) => {
      for (const t of body.topics)
        if (t.topicId && t.topicId !== ZERO_UUID && t.name) topicNames.set(t.topicId, t.name);
    },
    topicName: (id) => topicNames.get(id),
    resolveTopicIds: async (ids, connection) => {
      // Each bootstrap address in turn, as a client's bootstrap connection would.
      const failures: string[] = [];
      for (const a of bootstrapOrder()) {
        try {
          shared.learnTopicIds(await lookupTopicNames(a, ids));
          failures.length = 0;
          break;
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
      if (failures.length)
        emit({ type: "warning", connection, message: `topic id lookup failed: ${failures.join("; ")}` });
      const missing = ids.filter((id) => !topicNames.has(id));
      if (missing.length) {
        emit({
          type: "warning",
          connection,
          message: `unknown topic ids ${missing.join(", ")}: rules naming a topic cannot match them`,
        });
      }
    },
    sequences: new SequenceTranslator(),
    offsetHints: new Map(),
    duplicated: new Set(),
    droppedPlain: new Set(),
    emit,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    stats,
  };

  function onConnection(
    listenerName: string,
    target: () => { host: string; port: number },
    client: Socket,
  ): void {
    if (closing) return void client.destroy();
    const id = `c${++connSeq}`;
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    if (listenerName === "bootstrap" && bootstrapCandidates.length > 1) return failOver(id, client);
    const up = target();
    if (isolated.has(addressOf(up))) return hold(id, listenerName, client, [addressOf(up)]);
    attach(id, listenerName, client, up, track(connect({ host: up.host, port: up.port })), []);
  }

  /** An upstream socket the proxy destroys when it closes. */
  function track(upstream: Socket): Socket {
    sockets.add(upstream);
    upstream.once("close", () => sockets.delete(upstream));
    return upstream;
  }

  function attach(
    id: string,
    listenerName: string,
    client: Socket,
    up: { host: string; port: number },
    upstream: Socket,
    refused: string[],
  ): void {
    stats.connectionsTotal++;
    stats.connectionsActive++;
    const conn = new ProxyConnection(id, client, upstream, shared, listenerName, addressOf(up));
    connections.add(conn);
    client.once("close", () => connections.delete(conn));
    emit({
      type: "connection",
      action: "open",
      connection: id,
      listener: listenerName,
      upstream: addressOf(up),
      ...(refused.length ? { refused } : {}),
    });
  }

  /**
   * A client connection to isolated brokers: accepted, never relayed nor answered, what it sends is
   * swallowed. Closed when one of `upstreams` heals (the client reconnects) or by the client.
   */
  function hold(id: string, listenerName: string, client: Socket, upstreams: string[]): void {
    for (const u of upstreams) isolated.get(u)?.add(client);
    client.on("data", () => undefined);
    client.on("error", () => undefined);
    client.once("close", () => {
      for (const u of upstreams) isolated.get(u)?.delete(client);
      emit({ type: "connection", action: "close", connection: id, listener: "", upstream: "" });
    });
    stats.connectionsTotal++;
    emit({
      type: "connection",
      action: "open",
      connection: id,
      listener: listenerName,
      upstream: upstreams.join(","),
      held: "isolated",
    });
  }

  /**
   * A bootstrap connection of a cluster: connects to each bootstrap address in turn until one accepts,
   * holding the client's bytes meanwhile (its socket is not read until then). An address that refuses,
   * is unreachable or does not accept within FAILOVER_CONNECT_MS is remembered as refused. When none
   * accepts, the client's connection is closed with a warning naming every address and why.
   */
  function failOver(id: string, client: Socket): void {
    const all = bootstrapOrder();
    const order = all.filter((a) => !isolated.has(addressOf(a)));
    // A client cut off from every broker reaches none: its connection is held, as the network holds it.
    if (order.length === 0) return hold(id, "bootstrap", client, all.map(addressOf));
    const refused: string[] = all
      .filter((a) => isolated.has(addressOf(a)))
      .map((a) => `${addressOf(a)}: isolated`);
    let pending: Socket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const clientGone = () => {
      clearTimeout(timer);
      pending?.destroy();
    };
    client.once("close", clientGone);
    client.on("error", () => undefined); // closed with its socket; ProxyConnection listens once attached
    const tryNext = (i: number) => {
      if (closing || client.destroyed) return;
      if (i === order.length) {
        client.off("close", clientGone);
        stats.connectionsTotal++;
        emit({
          type: "warning",
          connection: id,
          message: `upstream connection failed: no bootstrap address accepted it (${refused.join("; ")})`,
        });
        client.destroy();
        return;
      }
      const up = order[i]!;
      const upstream = track(connect({ host: up.host, port: up.port }));
      pending = upstream;
      timer = setTimeout(
        () => upstream.destroy(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" })),
        FAILOVER_CONNECT_MS,
      );
      timer.unref();
      upstream.once("connect", () => {
        clearTimeout(timer);
        upstream.removeAllListeners("error");
        client.off("close", clientGone);
        pending = undefined;
        if (closing || client.destroyed) return void upstream.destroy();
        attach(id, "bootstrap", client, up, upstream, refused);
      });
      upstream.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        refusedAt.set(addressOf(up), Date.now());
        refused.push(`${addressOf(up)}: ${err.code ?? err.message}`);
        upstream.destroy();
        tryNext(i + 1);
      });
    };
    tryNext(0);
  }

  async function listen(node: string, upstream: { host: string; port: number }): Promise<Listener> {
    if (closing) throw new Error("the Kafka proxy is closed");
    const listener: Listener = { server: createServer(), port: 0, upstream };
    const name = node === "bootstrap" ? "bootstrap" : `node ${node}`;
    listener.server.on("connection", (s) =>
      onConnection(name, node === "bootstrap" ? bootstrapTarget : () => listener.upstream, s),
    );
    await new Promise<void>((resolve, reject) => {
      listener.server.once("error", reject);
      listener.server.listen({ host, port: 0 }, () => resolve());
    });
    listener.port = (listener.server.address() as AddressInfo).port;
    if (closing) {
      listener.server.close();
      throw new Error("the Kafka proxy is closed");
    }
    if (node !== "bootstrap") nodeAddresses.set(node, `${host}:${listener.port}`);
    emit({
      type: "listener",
      node,
      address: `${host}:${listener.port}`,
      upstream: `${upstream.host}:${upstream.port}`,
    });
    return listener;
  }

  const nodeAddresses = new Map<string, string>();
  const bootPromise = listen("bootstrap", bootstrapUpstream);
  listeners.set("bootstrap", bootPromise);
  const boot = await bootPromise;
  const bootstrap = `${host.includes(":") ? `[${host}]` : host}:${boot.port}`;

  const addRule = (rule: FaultRule): number => {
    if (!rule || typeof rule !== "object" || !("kind" in rule))
      throw new TypeError(
        "addRule expects a rule made by drop(), delay(), duplicate(), error(), disconnect(), loseResponse(), delayResponse(), throttle() or blackhole()",
      );
    const id = nextRuleId++;
    active = [...active, new ActiveRule(id, rule, seed)];
    return id;
  };

  return {
    bootstrap,
    nodes: nodeAddresses,
    setRules(rules) {
      active = [];
      const ids = rules.map(addRule);
      rulesChanged();
      return ids;
    },
    addRule,
    removeRule(id) {
      const before = active.length;
      active = active.filter((r) => r.id !== id);
      rulesChanged();
      return active.length !== before;
    },
    clearRules() {
      active = [];
      rulesChanged();
    },
    reseed(next) {
      seed = next;
      if (active.length === 0) nextRuleId = 1;
    },
    releaseHeld: () => held.releaseAll(),
    isolate(upstream) {
      parseHostPort(upstream);
      if (isolated.has(upstream)) return;
      isolated.set(upstream, new Set());
      for (const c of connections) if (c.upstreamAt === upstream) c.isolate();
    },
    heal(upstream) {
      const heldSockets = isolated.get(upstream);
      if (!heldSockets) return;
      isolated.delete(upstream);
      for (const s of heldSockets) s.destroy();
      for (const c of [...connections]) if (c.upstreamAt === upstream) c.closeIfIsolated();
    },
    isolated: () => [...isolated.keys()],
    rules: () =>
      active.map((r) => ({ id: r.id, rule: r.rule.description, matched: r.matched, fired: r.fired })),
    stats,
    async close() {
      closing = true;
      held.releaseAll();
      for (const s of sockets) s.destroy();
      const all = await Promise.allSettled([...listeners.values()]);
      await Promise.all(
        all.map((r) =>
          r.status === "fulfilled"
            ? new Promise<void>((resolve) => r.value.server.close(() => resolve()))
            : undefined,
        ),
      );
    },
  };
}
