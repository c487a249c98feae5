// The control API of `faultbox proxy`: JSON over HTTP, a thin adapter over ProxySession. Every answer
// is JSON (the event stream NDJSON or Server-Sent Events); a request the caller got wrong gets a 4xx
// with {"error": "...", "field": "..."}; nothing is half-applied (a list of rules installs all or none).
// The document of this API is src/control/openapi.json; test/control checks the answers against it.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { packageFile } from "../core/package-files.js";
import { ControlError } from "./rules.js";
import type { ControlEvent, EventQuery, ProxySession } from "./session.js";

export interface ControlServerOptions {
  host: string;
  port: number;
  /** Required on every call when set (Authorization: Bearer TOKEN). */
  token?: string;
  /** Request bodies above this are refused (413). Default 256 KiB. */
  bodyLimit?: number;
}

export interface ControlServer {
  /** http://host:port */
  readonly url: string;
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

const EVENT_TYPES = ["fault", "connection_open", "connection_close", "malformed", "warning"];
/** A stream whose reader falls this far behind is ended (it can reconnect with since=). */
const STREAM_BACKLOG_LIMIT = 1 << 20;
const MAX_STREAMS = 64;
const HEARTBEAT_MS = 15_000;

class HttpError extends ControlError {}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body, null, 2) + "\n";
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: ControlError, headers: Record<string, string> = {}): void {
  send(res, err.status, { error: err.message, ...(err.field ? { field: err.field } : {}) }, headers);
}

/** Reads the body up to `limit` bytes; a larger one is refused without reading it all. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(
      new HttpError(413, `request body of ${declared} bytes is over the limit of ${limit} bytes`),
    );
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.pause();
        reject(new HttpError(413, `request body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = String(req.headers["content-type"] ?? "");
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new HttpError(
      415,
      `send the body as JSON with the header Content-Type: application/json (got ${type ? JSON.stringify(type) : "none"})`,
      "Content-Type",
    );
  const body = await readBody(req, limit);
  if (body.length === 0) throw new HttpError(400, "the request body is empty; send a JSON rule object");
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function intParam(v: string, name: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v)))
    throw new HttpError(400, `${name}: an integer >= ${min}, got ${JSON.stringify(v)}`, name);
  return Number(v);
}

/** The event filters of /events and /events/stream, from the query string; unknown parameters are refused. */
function eventQuery(params: URLSearchParams, allowLimit: boolean): EventQuery {
  const q: EventQuery = {};
  const valid = ["since", "proxy", "type", "rule", ...(allowLimit ? ["limit"] : [])];
  for (const [k, v] of params) {
    if (k === "since") q.since = intParam(v, k, 0);
    else if (k === "proxy") q.proxy = v;
    else if (k === "rule") q.ruleId = intParam(v, k, 1);
    else if (k === "limit" && allowLimit) q.limit = intParam(v, k, 1);
    else if (k === "type") {
      const types = v.split(",").map((t) => t.trim());
      const bad = types.find((t) => !EVENT_TYPES.includes(t));
      if (bad !== undefined)
        throw new HttpError(
          400,
          `type: unknown event type ${JSON.stringify(bad)}; types: ${EVENT_TYPES.join(", ")}`,
          k,
        );
      q.types = types;
    } else throw new HttpError(400, `unknown query parameter "${k}"; valid: ${valid.join(", ")}`, k);
  }
  return q;
}

function noQuery(params: URLSearchParams): void {
  for (const k of params.keys())
    throw new HttpError(400, `unknown query parameter "${k}"; this endpoint takes none`, k);
}

const digest = (s: string) => createHash("sha256").update(s).digest();

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

export async function startControlServer(
  session: ProxySession,
  options: ControlServerOptions,
): Promise<ControlServer> {
  const bodyLimit = options.bodyLimit ?? 256 * 1024;
  const token = options.token ? digest(options.token) : undefined;
  const version = (JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version: string })
    .version;
  let openapi: string | undefined;
  const streams = new Set<ServerResponse>();

  /** Token on every call when one is set; without one, only loopback Host names (no DNS rebinding). */
  const authorize = (req: IncomingMessage): void => {
    if (token) {
      const m = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ""));
      if (!m || !timingSafeEqual(digest(m[1]!.trim()), token))
        throw new HttpError(
          401,
          "missing or wrong token: send the header Authorization: Bearer <token>",
          "Authorization",
        );
      return;
    }
    const host = String(req.headers.host ?? "");
    if (host && !LOOPBACK_HOSTS.test(host))
      throw new HttpError(
        403,
        `Host ${JSON.stringify(host)} is not a loopback name; without --token the control API answers only requests to 127.0.0.1, [::1] or localhost`,
        "Host",
      );
  };

  const stream = (req: IncomingMessage, res: ServerResponse, q: EventQuery): void => {
    if (streams.size >= MAX_STREAMS)
      throw new HttpError(503, `${MAX_STREAMS} event streams are open already; close one first`);
    const sse = /text\/event-stream/.test(String(req.headers.accept ?? ""));
    res.writeHead(200, {
      "Content-Type": sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
    });
    res.flushHeaders();
    streams.add(res);
    const write = (e: ControlEvent) => {
      if (res.writableLength > STREAM_BACKLOG_LIMIT) {
        const overflow = {
          type: "overflow",
          next: e.seq - 1,
          message: "the reader fell behind; reconnect with since=next",
        };
        res.end(
          sse ? `event: overflow\ndata: ${JSON.stringify(overflow)}\n\n` : JSON.stringify(overflow) + "\n",
        );
        stop();
        return;
      }
      res.write(
        sse ? `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n` : JSON.stringify(e) + "\n",
      );
    };
    const heartbeat = sse ? setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS) : undefined;
    heartbeat?.unref();
    const unsubscribe = session.subscribe({ ...q, since: q.since ?? session.lastSeq }, write);
    const stop = () => {
      unsubscribe();
      if (heartbeat) clearInterval(heartbeat);
      streams.delete(res);
    };
    res.on("close", stop);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    authorize(req);
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    const url = {
      pathname: q >= 0 ? target.slice(0, q) : target,
      searchParams: new URLSearchParams(q >= 0 ? target.slice(q + 1) : ""),
    };
    const parts = url.pathname
      .split("/")
      .filter(Boolean)
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          throw new HttpError(400, `bad percent-encoding in the path: ${JSON.stringify(segment)}`);
        }
      });
    const method = req.method ?? "GET";
    const only = (...allowed: string[]) => {
      if (!allowed.includes(method))
        throw Object.assign(
          new HttpError(405, `${method} is not allowed on ${url.pathname}; use ${allowed.join(" or ")}`),
          {
            allow: allowed.join(", "),
          },
        );
    };
    const p = url.searchParams;

    if (parts.length === 0) {
      only("GET");
      noQuery(p);
      return send(res, 200, {
        service: "faultbox proxy",
        version,
        seed: String(session.seed),
        proxies: session.proxies(),
      });
    }
    const [head, name, sub, idText, ...rest] = parts;
    if (head === "seed" && parts.length === 1) {
      only("GET");
      noQuery(p);
      return send(res, 200, { seed: String(session.seed) });
    }
    if (head === "openapi.json" && parts.length === 1) {
      only("GET");
      noQuery(p);
      openapi ??= readFileSync(packageFile("src/control/openapi.json"), "utf8");
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
      res.end(openapi);
      return;
    }
    if (head === "reset" && parts.length === 1) {
      only("POST");
      noQuery(p);
      await readBody(req, bodyLimit); // any body is ignored, but read
      return send(res, 200, session.reset());
    }
    if (head === "rules" && parts.length === 1) {
      only("GET");
      noQuery(p);
      return send(res, 200, { rules: session.rules() });
    }
    if (head === "events" && parts.length === 1) {
      only("GET");
      const q = eventQuery(p, true);
      return send(res, 200, { ...session.events(q), rules: session.allRules(q.proxy) });
    }
    if (head === "events" && name === "stream" && parts.length === 2) {
      only("GET");
      return stream(req, res, eventQuery(p, false));
    }
    if (head === "proxies") {
      if (name === undefined) {
        only("GET");
        noQuery(p);
        return send(res, 200, { proxies: session.proxies() });
      }
      if (sub === undefined) {
        only("GET");
        noQuery(p);
        return send(res, 200, session.proxy(name));
      }
      if (sub === "rules" && idText === undefined) {
        only("GET", "POST", "DELETE");
        noQuery(p);
        if (method === "GET") return send(res, 200, { rules: session.rules(name) });
        if (method === "DELETE") return send(res, 200, { removed: session.clearRules(name) });
        session.proxy(name); // 404 before reading a body for a proxy that does not exist
        const body = await readJson(req, bodyLimit);
        if (Array.isArray(body)) {
          if (body.length === 0) throw new HttpError(400, "the list of rules is empty");
          return send(
            res,
            201,
            session.addRules(name, body, (i) => `[${i}].`),
          );
        }
        return send(res, 201, session.addRules(name, [body])[0]);
      }
      if (sub === "rules" && idText !== undefined && rest.length === 0) {
        only("GET", "DELETE");
        noQuery(p);
        const id = intParam(idText, "id", 1);
        return send(res, 200, method === "GET" ? session.rule(name, id) : session.removeRule(name, id));
      }
    }
    throw new HttpError(
      404,
      `no endpoint ${method} ${url.pathname}; endpoints: GET /, GET /proxies, GET /proxies/{name}, GET|POST|DELETE /proxies/{name}/rules, GET|DELETE /proxies/{name}/rules/{id}, GET /rules, POST /reset, GET /events, GET /events/stream, GET /seed, GET /openapi.json`,
    );
  };

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof ControlError) {
        const allow = (err as { allow?: string }).allow;
        const headers: Record<string, string> = allow ? { Allow: allow } : {};
        // A refused body may still be arriving: answer, then close the connection instead of reading it.
        if (err.status === 413) headers.Connection = "close";
        sendError(res, err, headers);
        if (err.status === 413) res.once("finish", () => req.destroy());
        return;
      }
      process.stderr.write(
        `faultbox proxy: internal error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}\n`,
      );
      send(res, 500, { error: `internal error: ${(err as Error)?.message ?? String(err)}` });
    });
  });
  // A request Node's parser cannot read (not HTTP, a bad header, a body where none may be) gets a
  // JSON 400 too, and only its own connection closes.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const body = JSON.stringify({ error: `malformed HTTP request: ${err.code ?? err.message}` }) + "\n";
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const address = { host: options.host, port: a.port };
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${a.port}`,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
