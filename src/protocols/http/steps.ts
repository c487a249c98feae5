// HTTP steps: get/post/put/patch/delete(path="/", body="", headers={}).
import { request } from "node:http";
import type { StepCall, StepMethod, StepOutcome } from "../../core/protocol.js";

const BODY_LIMIT = 1 << 20;

export function httpRequest(method: string, call: StepCall, timeoutMs = 30_000): Promise<StepOutcome> {
  const path = String(call.args.path ?? "/");
  const body =
    call.args.body === undefined
      ? ""
      : typeof call.args.body === "string"
        ? call.args.body
        : JSON.stringify(call.args.body);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries((call.args.headers as Record<string, unknown>) ?? {}))
    headers[k] = String(v);
  if (body && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["Content-Type"] = typeof call.args.body === "string" ? "text/plain" : "application/json";
  }
  return new Promise((resolve) => {
    const req = request(
      {
        host: call.target.host,
        port: call.target.port,
        method: method.toUpperCase(),
        path: path.startsWith("/") ? path : `/${path}`,
        headers: { ...headers, ...(body ? { "Content-Length": Buffer.byteLength(body) } : {}) },
        timeout: timeoutMs,
        signal: call.signal,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= BODY_LIMIT) chunks.push(c);
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8").trim();
          resolve({
            ok: true,
            status: res.statusCode ?? 0,
            body: text,
            fields: { content_type: res.headers["content-type"] ?? "" },
          });
        });
        res.on("error", (err) => resolve({ ok: false, status: res.statusCode ?? 0, error: err.message }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)));
    req.on("error", (err) =>
      resolve({
        ok: false,
        status: 0,
        error:
          (err as NodeJS.ErrnoException).code === "ECONNRESET"
            ? "connection reset (ECONNRESET)"
            : err.message,
      }),
    );
    req.end(body || undefined);
  });
}

const params = ["path", "body", "headers"];

export const httpSteps: Record<string, StepMethod> = Object.fromEntries(
  ["get", "post", "put", "patch", "delete"].map((m) => [
    m,
    { params, run: (call: StepCall) => httpRequest(m, call) },
  ]),
);
