// Adapts the Kafka fault proxy (../proxy) to core's ProtocolProxy.
//
// Core starts proxies once per suite, before the services, so the address stays stable for reused
// services and for env values of other services. A Kafka broker's real port may only be known after it
// starts (a container's mapped port, a local broker substituted for an image), and a fresh broker per
// test may move. So the stable address is a small TCP front listener that forwards bootstrap
// connections to the current inner proxy; retarget() replaces the inner proxy (with the same rules)
// each time the broker (re)starts. Broker addresses learned from Metadata are the inner proxy's node
// listeners, so every produce and fetch still passes through the rules.
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { ProxyRule } from "../../../core/model.js";
import type { Address, ProtocolProxy, ProxyOptions } from "../../../core/protocol.js";
import type { RuleCounts } from "../../../core/syscall.js";
import {
  startKafkaProxy,
  type KafkaProxy,
  type KafkaProxyEvent,
  type RequestTiming,
} from "../proxy/index.js";
import { toKafkaRule } from "./rules.js";

export interface RetargetableProxy extends ProtocolProxy {
  /** Points the proxy at a broker that (re)started, at a new address or the same one; state is fresh. */
  retarget(upstream: Address): Promise<void>;
}

/** The data of a `proxy` event for a rule that acted (also used by a cluster's link proxies). */
export function proxyEventData(e: KafkaProxyEvent): Record<string, unknown> | undefined {
  if (e.type !== "fault") return undefined;
  return {
    protocol: "kafka",
    action: e.kind,
    rule: e.rule,
    api: e.api,
    ...(e.topic !== undefined ? { topic: e.topic } : {}),
    ...(e.partition !== undefined ? { partition: e.partition } : {}),
    ...(e.records !== undefined ? { records: e.records } : {}),
    ...(e.delayMs !== undefined ? { delay_ms: e.delayMs } : {}),
    ...(e.throttleMs !== undefined ? { throttle_ms: e.throttleMs } : {}),
    ...(e.lostAfter !== undefined ? { lost_after: e.lostAfter } : {}),
    ...(e.clientId !== undefined ? { client_id: e.clientId } : {}),
    ...(e.code !== undefined ? { code: e.code } : {}),
    conn_id: e.connection,
  };
}

/** Proxy events -> event log entries. `proxy` events with an action are what core counts as "fired". */
function forward(options: ProxyOptions, e: KafkaProxyEvent, rule: ProxyRule | undefined): void {
  switch (e.type) {
    case "fault":
      options.onEvent("proxy", proxyEventData(e)!, rule);
      return;
    case "connection":
      options.onEvent(e.action === "open" ? "proxy_conn_open" : "proxy_conn_close", {
        protocol: "kafka",
        conn_id: e.connection,
        listener: e.listener,
        target: e.upstream,
        ...(e.refused ? { refused: e.refused } : {}),
        ...(e.held ? { held: e.held } : {}),
      });
      return;
    case "malformed":
      options.onEvent("proxy_malformed", {
        protocol: "kafka",
        conn_id: e.connection,
        from: e.from,
        reason: e.reason,
      });
      return;
    case "warning":
      options.onEvent("proxy_warning", {
        protocol: "kafka",
        message: e.message,
        ...(e.connection ? { conn_id: e.connection } : {}),
      });
      return;
    case "listener":
      return;
  }
}

/** A request's timing for the report's plots; the Kafka client id says who asked. */
function timed(options: ProxyOptions, r: RequestTiming): void {
  try {
    options.onRequest?.({
      api: r.api,
      startedAt: r.startedAt,
      latencyMs: r.latencyMs,
      ...(r.clientId ? { detail: r.clientId } : {}),
    });
  } catch {
    // a report's bookkeeping must never break the traffic
  }
}

function hostPort(a: string): Address {
  const i = a.lastIndexOf(":");
  return { host: a.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(a.slice(i + 1)) };
}

/** One inner proxy, and which of core's rules each of its rule ids stands for. */
interface Inner {
  proxy: KafkaProxy;
  ruleOf: Map<number, ProxyRule>;
  idOf: Map<ProxyRule, number>;
}

export async function startKafkaPluginProxy(options: ProxyOptions): Promise<RetargetableProxy> {
  let seed = Number(BigInt.asUintN(32, options.seed));
  const rules: ProxyRule[] = [];
  // Matched/fired of each rule over its earlier installs (earlier inner proxies, earlier fault
  // windows); the live inner proxy's counters come on top. A WeakMap lets them go with the rule.
  const earlier = new WeakMap<ProxyRule, RuleCounts>();
  // A retired inner proxy (replaced by retarget) closes its connections after the next test started:
  // those events belong to the test that is over, not to the next one's log.
  let generation = 0;
  const open = async (up: Address): Promise<Inner> => {
    const ruleOf = new Map<number, ProxyRule>();
    const mine = ++generation;
    const proxy = await startKafkaProxy({
      // A cluster's other brokers too, so a client still bootstraps while one of them is down.
      upstream: [up, ...(up.alternates ?? [])].map((a) => `${a.host}:${a.port}`).join(","),
      host: options.listenHost,
      seed,
      onEvent: (e) => {
        if (mine === generation) forward(options, e, e.type === "fault" ? ruleOf.get(e.ruleId) : undefined);
      },
      ...(options.onRequest
        ? {
            onRequest: (r: RequestTiming) => {
              if (mine === generation) timed(options, r);
            },
          }
        : {}),
    });
    return { proxy, ruleOf, idOf: new Map() };
  };
  let inner: Inner = await open(options.upstream);
  const sockets = new Set<Socket>();
  /** Upstream addresses cut off from the clients (isolate(clients=True)), kept across retargets. */
  const isolated = new Set<string>();

  const front: Server = createServer((client) => {
    const target = hostPort(inner.proxy.bootstrap);
    const up = connect(target);
    for (const s of [client, up]) {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(up);
    up.pipe(client);
    client.once("close", () => up.destroy());
    up.once("close", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen({ host: options.listenHost, port: options.listenPort ?? 0 }, () => resolve());
  });
  const listen: Address = { host: options.listenHost, port: (front.address() as AddressInfo).port };

  const install = (into: Inner, rule: ProxyRule) => {
    const id = into.proxy.addRule(toKafkaRule(rule));
    into.ruleOf.set(id, rule);
    into.idOf.set(rule, id);
  };
  const live = (rule: ProxyRule): RuleCounts => {
    const id = inner.idOf.get(rule);
    const r = id === undefined ? undefined : inner.proxy.rules().find((x) => x.id === id);
    return { matched: r?.matched ?? 0, fired: r?.fired ?? 0 };
  };
  /** Adds the live counts of `rule` to its earlier ones and forgets its live id. */
  const retire = (rule: ProxyRule) => {
    const now = live(rule);
    const before = earlier.get(rule) ?? { matched: 0, fired: 0 };
    earlier.set(rule, { matched: before.matched + now.matched, fired: before.fired + now.fired });
    const id = inner.idOf.get(rule);
    if (id !== undefined) {
      inner.proxy.removeRule(id);
      inner.idOf.delete(rule);
    }
  };

  return {
    listen,
    addRule(rule) {
      const translated = toKafkaRule(rule); // throws before anything changes on a bad rule
      rules.push(rule);
      const id = inner.proxy.addRule(translated);
      inner.ruleOf.set(id, rule);
      inner.idOf.set(rule, id);
    },
    removeRule(rule) {
      const i = rules.indexOf(rule);
      if (i < 0) return false;
      rules.splice(i, 1);
      retire(rule);
      return true;
    },
    clearRules() {
      for (const r of rules) retire(r);
      rules.length = 0;
      inner.proxy.clearRules();
    },
    ruleCounts(rule) {
      const before = earlier.get(rule) ?? { matched: 0, fired: 0 };
      const now = live(rule);
      return { matched: before.matched + now.matched, fired: before.fired + now.fired };
    },
    reseed(next) {
      seed = Number(BigInt.asUintN(32, next));
      inner.proxy.reseed(seed);
    },
    releaseHeld: () => inner.proxy.releaseHeld(),
    isolateUpstream(a) {
      const at = `${a.host}:${a.port}`;
      isolated.add(at);
      inner.proxy.isolate(at);
    },
    healUpstream(a) {
      const at = `${a.host}:${a.port}`;
      isolated.delete(at);
      inner.proxy.heal(at);
    },
    async retarget(next) {
      // Core calls this each time the service starts: a new broker, even at the same address. The inner
      // proxy is replaced in every case, because its producer state (sequence shifts of drops and
      // duplicates, retry memories, offset hints) belongs to the broker it served: a fresh broker
      // hands out the same producer ids again, and old shifts would break the new producers' sequences.
      const old = inner;
      const fresh = await open(next);
      for (const r of rules) retire(r);
      inner = fresh;
      for (const r of rules) install(inner, r);
      for (const at of isolated) inner.proxy.isolate(at);
      for (const s of sockets) s.destroy();
      await old.proxy.close();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await inner.proxy.close();
    },
  };
}
