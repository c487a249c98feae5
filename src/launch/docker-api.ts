// A small client for the Docker Engine API (also served by Podman's compatible socket) over a unix socket.
import { request, type IncomingMessage } from "node:http";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { formatDuration } from "../core/duration.js";

export class DockerApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Thrown when the engine accepts a request but sends nothing back for too long (a hung engine). */
export class DockerApiTimeout extends Error {}

export interface DockerRequestOptions {
  /**
   * Give up when the engine sends nothing for this long (ms). 0: wait as long as it takes, for
   * requests that answer only when something happens (POST /containers/{id}/wait). For stream(),
   * only the wait for the response's head: a log or pull stream's body may be quiet for a long time.
   */
  timeoutMs?: number;
}

export interface DockerClient {
  socketPath: string;
  json<T>(method: string, path: string, body?: unknown, options?: DockerRequestOptions): Promise<T>;
  stream(
    method: string,
    path: string,
    body?: unknown,
    options?: DockerRequestOptions,
  ): Promise<IncomingMessage>;
}

/**
 * How long a request may go without a byte from the engine. Engines answer in milliseconds to
 * seconds (a busy rootful Podman: a few seconds); an engine that says nothing for two minutes is
 * hung (a container lock held by a dead or stuck process, a wedged storage), and waiting longer
 * only turns a clear error into a run that never ends.
 */
export const ENGINE_REQUEST_TIMEOUT_MS = 120_000;

export function dockerClient(socketPath: string, defaults: { timeoutMs?: number } = {}): DockerClient {
  const defaultTimeoutMs = defaults.timeoutMs ?? ENGINE_REQUEST_TIMEOUT_MS;
  const send = (method: string, path: string, body: unknown, timeoutMs: number) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        {
          socketPath,
          method,
          path: `/v1.41${path}`,
          headers: {
            Host: "docker",
            ...(payload ? { "Content-Type": "application/json", "Content-Length": payload.length } : {}),
          },
        },
        resolve,
      );
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () =>
          req.destroy(
            new DockerApiTimeout(
              `the container engine at ${socketPath} did not answer ${method} ${path.split("?")[0]} ` +
                `within ${formatDuration(timeoutMs)}: it looks hung. Check it with \`podman ps\` or ` +
                `\`docker ps\` (a command that hangs too confirms it) and restart the engine`,
            ),
          ),
        );
      }
      req.on("error", reject);
      req.end(payload);
    });
  const readAll = async (res: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  const client: DockerClient = {
    socketPath,
    async json<T>(method: string, path: string, body?: unknown, options?: DockerRequestOptions): Promise<T> {
      // The idle timeout stays on while the body is read: a head and then silence is a hang too.
      const res = await send(method, path, body, options?.timeoutMs ?? defaultTimeoutMs);
      const text = await readAll(res);
      const status = res.statusCode ?? 0;
      if (status >= 400) {
        let message = text;
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? text;
        } catch {
          /* plain text error */
        }
        throw new DockerApiError(`${method} ${path}: ${status} ${message.trim()}`, status);
      }
      if (text.trim() === "") return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        return text as T;
      }
    },
    async stream(method: string, path: string, body?: unknown, options?: DockerRequestOptions) {
      const res = await send(method, path, body, options?.timeoutMs ?? defaultTimeoutMs);
      // From here on the stream's own pace: a followed log is silent while the service is.
      res.socket?.setTimeout(0);
      if ((res.statusCode ?? 0) >= 400) {
        const text = await readAll(res);
        throw new DockerApiError(`${method} ${path}: ${res.statusCode} ${text.trim()}`, res.statusCode ?? 0);
      }
      return res;
    },
  };
  return client;
}

/** Candidate sockets, in the order tried: DOCKER_HOST, Docker's default, rootless Docker, Podman. */
export function candidateSockets(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const host = env.DOCKER_HOST;
  if (host?.startsWith("unix://")) out.push(host.slice("unix://".length));
  out.push("/var/run/docker.sock");
  if (env.XDG_RUNTIME_DIR) {
    out.push(join(env.XDG_RUNTIME_DIR, "docker.sock"), join(env.XDG_RUNTIME_DIR, "podman", "podman.sock"));
  }
  const uid = process.getuid?.();
  if (uid !== undefined) out.push(`/run/user/${uid}/podman/podman.sock`);
  out.push("/run/podman/podman.sock", join(homedir(), ".docker", "run", "docker.sock"));
  return [...new Set(out)];
}

/** The first socket answering /_ping, or an error naming every socket tried and the alternatives. */
/** How long /_ping may take: a socket that accepts and never answers is not an engine to use. */
const PING_TIMEOUT_MS = 10_000;

export async function findEngine(env: NodeJS.ProcessEnv = process.env): Promise<DockerClient> {
  const tried: string[] = [];
  if (env.DOCKER_HOST && !env.DOCKER_HOST.startsWith("unix://")) {
    tried.push(`DOCKER_HOST=${env.DOCKER_HOST} (only unix:// sockets are supported)`);
  }
  for (const path of candidateSockets(env)) {
    if (!existsSync(path)) {
      tried.push(`${path} (absent)`);
      continue;
    }
    const client = dockerClient(path);
    try {
      await client.json("GET", "/_ping", undefined, { timeoutMs: PING_TIMEOUT_MS });
      return client;
    } catch (err) {
      tried.push(`${path} (${(err as Error).message})`);
    }
  }
  throw new Error(
    `no container engine is reachable (tried ${tried.join(", ")}). ` +
      `Start Docker, or Podman's compatible socket (systemctl --user start podman.socket), or set DOCKER_HOST=unix:///path/to.sock; ` +
      `or run the service as a local binary (service("name", "/path/to/binary", ...)) or point at a running one with remote="host:port".`,
  );
}

/** Splits Docker's multiplexed log stream (8-byte header per frame) into stdout/stderr chunks. */
export class DockerLogDemuxer {
  private buf = Buffer.alloc(0);
  constructor(private readonly onChunk: (stream: "stdout" | "stderr", text: string) => void) {}
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) return;
      const type = this.buf[0];
      const payload = this.buf.subarray(8, 8 + size).toString("utf8");
      this.buf = this.buf.subarray(8 + size);
      this.onChunk(type === 2 ? "stderr" : "stdout", payload);
    }
  }
}
