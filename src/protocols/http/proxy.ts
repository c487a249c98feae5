// The HTTP proxy: forwards requests to the service; rules (matched on method and path, in order)
// answer with an error status, a canned response, delay the request, or drop the connection.
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { globMatch } from "../../core/events.js";
import type { ProxyRule } from "../../core/model.js";
import type { ProtocolPlugin, ProtocolProxy, ProxyOptions } from "../../core/protocol.js";
import { createRng } from "../../core/random.js";
import { HeldRequests } from "../held-requests.js";
import { ProxyRuleSet, serveProxy } from "../serve-proxy.js";

/** Literal patterns compare case-insensitively (as Faultbox's proxies do); `*` globs otherwise. */
export function ruleMatches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined || pattern === "") return true;
  if (pattern.includes("*") || pattern.includes("?")) return globMatch(pattern, value);
  return pattern.toLowerCase() === value.toLowerCase();
}

/** Reports the request's latency once its response is sent (-1 when the connection closed first). */
function timeRequest(
  onRequest: NonNullable<ProxyOptions["onRequest"]>,
  method: string,
  path: string,
  res: ServerResponse,
): void {
  const startedAt = performance.timeOrigin + performance.now();
  let reported = false;
  const report = (answered: boolean) => {
    if (reported) return;
    reported = true;
    const latencyMs = answered ? performance.timeOrigin + performance.now() - startedAt : -1;
    try {
      onRequest({ api: method, startedAt, latencyMs, detail: path });
    } catch {
      // a report's bookkeeping must never break the traffic
    }
  };
  res.once("finish", () => report(true));
  res.once("close", () => report(res.writableFinished));
}

export async function startHttpProxy(o: ProxyOptions): Promise<ProtocolProxy> {
  const rules = new ProxyRuleSet();
  let rng = createRng(o.seed);
  const held = new HeldRequests();
  const random = () => rng.next();
  const fires = (r: ProxyRule) => rules.match(r, random);
  const target = `${o.upstream.host}:${o.upstream.port}`;
  let connId = 0;
  const connIds = new WeakMap<Socket, number>();

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const up = request(
      {
        host: o.upstream.host,
        port: o.upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: false,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: `upstream: ${err.message}` }));
      } else res.destroy();
    });
    req.pipe(up);
  };

  const server = createServer(async (req, res) => {
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0]!;
    if (o.onRequest) timeRequest(o.onRequest, method, path, res);
    for (const rule of rules.rules) {
      if (!ruleMatches(rule.match.method, method) || !ruleMatches(rule.match.path, path) || !fires(rule))
        continue;
      const base = {
        protocol: "http",
        action: rule.action,
        rule: rule.text,
        method,
        path,
        conn_id: connIds.get(req.socket),
      };
      if (rule.action === "delay") {
        const ms = Number(rule.params.delayMs ?? 0);
        o.onEvent("proxy", { ...base, delay_ms: ms }, rule);
        await held.hold(ms);
        continue; // a delay lets later rules (and the upstream) act
      }
      if (rule.action === "drop") {
        o.onEvent("proxy", base, rule);
        req.socket.destroy();
        return;
      }
      const status = Number(rule.params.status ?? (rule.action === "response" ? 200 : 500));
      const body =
        rule.params.body !== undefined
          ? String(rule.params.body)
          : JSON.stringify({ error: String(rule.params.message ?? "injected fault") });
      o.onEvent("proxy", { ...base, status }, rule);
      req.resume();
      res.writeHead(status, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    forward(req, res);
  });
  server.on("connection", (socket: Socket) => {
    const conn = { protocol: "http", conn_id: ++connId };
    connIds.set(socket, conn.conn_id);
    o.onEvent("proxy_conn_open", { ...conn, target });
    socket.once("close", () => o.onEvent("proxy_conn_close", conn));
  });
  server.keepAliveTimeout = 1000;
  const proxy = await serveProxy(server, o.listenHost, o.listenPort ?? 0, rules, () => {
    held.releaseAll();
    server.closeAllConnections();
  });
  return { ...proxy, reseed: (seed) => void (rng = createRng(seed)), releaseHeld: () => held.releaseAll() };
}

const matchers = ["method", "path"];

/** The proxy half of the http plugin: rules matched on method and path. */
export const httpProxyPlugin = {
  name: "http",
  proxy: startHttpProxy,
  rules: {
    error: { matchers, params: ["status", "message"] },
    response: { matchers, params: ["status", "body"] },
    delay: { matchers, params: ["delay"], required: ["delay"] },
    drop: { matchers, params: [] },
  },
} satisfies Omit<ProtocolPlugin, "steps">;
