// A small client for the Docker Engine API (also served by Podman's compatible socket) over a unix socket.
import { request, type IncomingMessage } from "node:http";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export class DockerApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface DockerClient {
  socketPath: string;
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  stream(method: string, path: string, body?: unknown): Promise<IncomingMessage>;
}

export function dockerClient(socketPath: string): DockerClient {
  const send = (method: string, path: string, body?: unknown) =>
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
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await send(method, path, body);
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
    async stream(method: string, path: string, body?: unknown) {
      const res = await send(method, path, body);
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
      await client.json("GET", "/_ping");
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
