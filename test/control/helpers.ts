// An in-process faultbox proxy for the control API tests: an HTTP and a TCP upstream of our own, a
// ProxySession with an http and a tcp proxy in front of them, and the control server.
import { createServer, request, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { registerProxyProtocols } from "../../src/control/protocols.js";
import {
  startControlServer,
  type ControlServer,
  type ControlServerOptions,
} from "../../src/control/server.js";
import { ProxySession } from "../../src/control/session.js";

export interface Harness {
  session: ProxySession;
  control: ControlServer;
  /** Where clients of the http proxy connect. */
  webPort: number;
  tcpPort: number;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** One HTTP request with a raw body (a string is sent as is; anything else as JSON). */
export function httpCall(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const raw = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const h: Record<string, string> = { ...headers };
  if (raw !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === "content-type"))
    h["Content-Type"] = "application/json";
  // Always framed: Node sends a GET or DELETE body without a length otherwise.
  if (raw !== undefined) h["Content-Length"] = String(Buffer.byteLength(raw));
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: h, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    req.end(raw);
  });
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

export async function startHarness(options: Partial<ControlServerOptions> = {}): Promise<Harness> {
  registerProxyProtocols();
  const web = createServer((req, res) => res.end(`upstream ${req.method} ${req.url}`));
  const echo = createTcpServer((s) => s.on("data", (d) => s.write(`echo:${d}`)));
  const webUp = await listen(web);
  const tcpUp = await listen(echo);
  const session = await ProxySession.start({
    seed: 42n,
    proxies: [
      {
        name: "web",
        protocol: "http",
        upstream: { host: "127.0.0.1", port: webUp },
        listen: { host: "127.0.0.1", port: 0 },
      },
      {
        name: "line",
        protocol: "tcp",
        upstream: { host: "127.0.0.1", port: tcpUp },
        listen: { host: "127.0.0.1", port: 0 },
      },
    ],
  });
  const control = await startControlServer(session, { host: "127.0.0.1", port: 0, ...options });
  const portOf = (name: string) => Number(session.proxy(name).listen.split(":")[1]);
  return {
    session,
    control,
    webPort: portOf("web"),
    tcpPort: portOf("line"),
    call: (method, path, body, headers) => httpCall(control.address.port, method, path, body, headers),
    async close() {
      await control.close();
      await session.close();
      web.closeAllConnections();
      await new Promise<void>((r) => web.close(() => r()));
      await new Promise<void>((r) => echo.close(() => r()));
    },
  };
}
