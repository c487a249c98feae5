// The little HTTP plumbing both services need: JSON in, JSON out, a route table, listen and close.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { errorText, warn } from "./log.js";

export interface Reply {
  status: number;
  body: unknown;
}

export type Handler = (req: http.IncomingMessage, params: string[]) => Promise<Reply>;

export interface Route {
  method: string;
  /** Anchored pattern over the path (no query string); capture groups become params. */
  path: RegExp;
  handler: Handler;
}

export class BadRequest extends Error {}

const MAX_BODY_BYTES = 64 * 1024;

export async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("request body is not valid JSON");
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body) + "\n";
  res.writeHead(reply.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

async function dispatch(routes: Route[], req: http.IncomingMessage): Promise<Reply> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const onPath = routes.filter((r) => r.path.test(path));
  if (onPath.length === 0) return { status: 404, body: { error: `no route for ${path}` } };
  const route = onPath.find((r) => r.method === req.method);
  if (!route) {
    return { status: 405, body: { error: `${req.method} not allowed on ${path}; use ${onPath[0].method}` } };
  }
  const params = (route.path.exec(path) ?? []).slice(1).map(decodeURIComponent);
  try {
    return await route.handler(req, params);
  } catch (err) {
    if (err instanceof BadRequest) return { status: 400, body: { error: err.message } };
    warn("request failed", { method: req.method, path, error: errorText(err) });
    return { status: 500, body: { error: "internal error", detail: errorText(err) } };
  }
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export async function serve(host: string, port: number, routes: Route[]): Promise<RunningServer> {
  const server = http.createServer((req, res) => {
    dispatch(routes, req).then(
      (reply) => send(res, reply),
      (err) => send(res, { status: 500, body: { error: "internal error", detail: errorText(err) } }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
