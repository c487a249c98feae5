// A TCP proxy: relays bytes both ways. Rules match the first bytes the client sends (prefix= matcher,
// when the protocol lets the client speak first) and drop (reset) the connection, delay it, or answer
// with a canned body instead of the service.
import { createServer, connect, type Socket } from "node:net";
import type { ProxyRule } from "../../core/model.js";
import type { ProtocolPlugin, ProtocolProxy, ProxyOptions } from "../../core/protocol.js";
import { createRng } from "../../core/random.js";
import { HeldRequests } from "../held-requests.js";
import { ProxyRuleSet, serveProxy } from "../serve-proxy.js";

export interface TcpProxyOptions extends ProxyOptions {
  protocol: string;
  /** Whether rules inspect the first client chunk (false: rules act when the connection opens). */
  peekFirstChunk: boolean;
}

export async function startTcpProxy(o: TcpProxyOptions): Promise<ProtocolProxy> {
  const rules = new ProxyRuleSet();
  const sockets = new Set<Socket>();
  let rng = createRng(o.seed);
  const held = new HeldRequests();
  const random = () => rng.next();
  const target = `${o.upstream.host}:${o.upstream.port}`;
  let connId = 0;
  const pick = (first: Buffer | undefined): ProxyRule[] =>
    rules.rules.filter((r) => {
      const prefix = r.match.prefix;
      if (prefix !== undefined && (!first || !first.toString("utf8").startsWith(prefix))) return false;
      return rules.match(r, random);
    });

  const server = createServer((client) => {
    const id = ++connId;
    const conn = { protocol: o.protocol, conn_id: id };
    sockets.add(client);
    o.onEvent("proxy_conn_open", { ...conn, target });
    client.on("close", () => {
      sockets.delete(client);
      o.onEvent("proxy_conn_close", conn);
    });
    client.on("error", () => undefined);
    let upstream: Socket | undefined;
    const openUpstream = () => {
      upstream = connect({ host: o.upstream.host, port: o.upstream.port });
      sockets.add(upstream);
      upstream.on("close", () => {
        sockets.delete(upstream!);
        client.end();
      });
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream?.destroy());
      upstream.pipe(client);
    };
    /** Applies matching rules; returns false when the connection was consumed by a rule. */
    const apply = async (first: Buffer | undefined): Promise<boolean> => {
      for (const rule of pick(first)) {
        const base = { protocol: o.protocol, action: rule.action, rule: rule.text, conn_id: id };
        if (rule.action === "delay") {
          const ms = Number(rule.params.delayMs ?? 0);
          o.onEvent("proxy", { ...base, delay_ms: ms }, rule);
          await held.hold(ms);
          if (client.destroyed) return false;
          continue;
        }
        if (rule.action === "drop") {
          o.onEvent("proxy", base, rule);
          client.resetAndDestroy();
          upstream?.destroy();
          return false;
        }
        if (rule.action === "response" || rule.action === "error") {
          o.onEvent("proxy", base, rule);
          client.end(String(rule.params.body ?? rule.params.message ?? ""));
          upstream?.destroy();
          return false;
        }
      }
      return true;
    };
    if (!o.peekFirstChunk) {
      client.pause();
      void apply(undefined).then((go) => {
        if (!go) return;
        openUpstream();
        client.pipe(upstream!);
        client.resume();
      });
      return;
    }
    openUpstream();
    client.once("data", (first: Buffer) => {
      client.pause();
      void apply(first).then((go) => {
        if (!go) return;
        upstream!.write(first);
        client.pipe(upstream!);
        client.resume();
      });
    });
  });
  const proxy = await serveProxy(server, o.listenHost, o.listenPort ?? 0, rules, () => {
    held.releaseAll();
    for (const s of sockets) s.destroy();
  });
  return { ...proxy, reseed: (seed) => void (rng = createRng(seed)), releaseHeld: () => held.releaseAll() };
}

/** The proxy half of the tcp plugin (rules match the first bytes the client sends). */
export const tcpProxyPlugin = {
  name: "tcp",
  proxy: (o) => startTcpProxy({ ...o, protocol: "tcp", peekFirstChunk: true }),
  rules: {
    drop: { matchers: ["prefix"], params: [] },
    delay: { matchers: ["prefix"], params: ["delay"], required: ["delay"] },
    response: { matchers: ["prefix"], params: ["body"] },
    error: { matchers: ["prefix"], params: ["message"] },
  },
} satisfies Omit<ProtocolPlugin, "steps">;
