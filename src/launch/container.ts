// Runs an image-based service through the Docker Engine API (Docker or Podman's compatible socket).
import { randomBytes } from "node:crypto";
import type {
  ExitStatus,
  LaunchRequest,
  Launcher,
  RunningProcess,
  ServiceActions,
} from "../core/launcher.js";
import { envName } from "../core/topology.js";
import { DockerLogDemuxer, ENGINE_REQUEST_TIMEOUT_MS, findEngine, type DockerClient } from "./docker-api.js";
import { openHostRelay } from "./host-relay.js";
import { guardContainer, releaseContainer } from "./watchdog.js";

/** The name a container's env uses for the runner's host (see host-relay.ts). */
const HOST_NAME = "host.docker.internal";

/**
 * Containers running now, per engine socket: service name -> address on the default bridge. A container
 * gets an /etc/hosts entry for each one started before it (its dependencies), so `.internal_addr`
 * (`<svc>:<port>`) resolves without a user-defined network or an engine DNS plugin.
 */
const running = new Map<string, Map<string, string>>();
function runningOn(socketPath: string): Map<string, string> {
  let m = running.get(socketPath);
  if (!m) running.set(socketPath, (m = new Map()));
  return m;
}

function splitImage(image: string): { name: string; tag: string } {
  const at = image.lastIndexOf(":");
  const slash = image.lastIndexOf("/");
  if (at > slash) return { name: image.slice(0, at), tag: image.slice(at + 1) };
  return { name: image, tag: "latest" };
}

async function ensureImage(client: DockerClient, image: string, signal?: AbortSignal): Promise<void> {
  try {
    // Image references keep their slashes and colons in the path, as the Engine API's router expects.
    await client.json("GET", `/images/${image.replace(/[^\w.\-/:@]/g, encodeURIComponent)}/json`);
    return;
  } catch {
    /* not present: pull */
  }
  const { name, tag } = splitImage(image);
  const res = await client.stream(
    "POST",
    `/images/create?fromImage=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`,
  );
  let text = "";
  // A pull can take minutes: Ctrl-C ends it rather than wait for an image nobody needs any more.
  const onAbort = () => res.destroy(new Error(`pulling ${image}: interrupted`));
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal?.aborted) onAbort();
    for await (const c of res) text += (c as Buffer).toString("utf8");
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const msg = JSON.parse(line) as { error?: string };
      if (msg.error) throw new Error(`pulling ${image}: ${msg.error}`);
    } catch (err) {
      if ((err as Error).message.startsWith("pulling")) throw err;
    }
  }
}

/**
 * Only the spec's env and the FAULTBOX_* addresses go into a container (not the runner's own env).
 * The container's own interfaces are where it listens inside its network namespace (the declared port
 * on its loopback), not the host port they are published on. Every other loopback address (another
 * service's proxy or listener, as core resolved it) names the runner's host, whose loopback the
 * container cannot see: it becomes host.docker.internal, and its port is returned to be relayed.
 */
function containerEnv(req: LaunchRequest): { env: string[]; hostPorts: number[] } {
  const env: Record<string, string> = {};
  const own = new Set(req.service.interfaces.map((i) => i.port));
  const ownKeys = new Set<string>();
  for (const i of req.service.interfaces) {
    for (const part of ["HOST", "PORT", "ADDR"])
      ownKeys.add(envName("FAULTBOX", req.service.name, i.name, part));
  }
  const hostPorts = new Set<number>();
  for (const [k, v] of Object.entries(req.env)) {
    if (!(k in req.service.env || k.startsWith("FAULTBOX_")) || ownKeys.has(k)) continue;
    if (k.startsWith("FAULTBOX_") && k.endsWith("_HOST") && !(k in req.service.env)) {
      env[k] = v === "127.0.0.1" || v === "localhost" ? HOST_NAME : v;
      continue;
    }
    env[k] = v.replace(/\b(?:127\.0\.0\.1|localhost):(\d{1,5})\b/g, (whole, port: string) => {
      if (own.has(Number(port))) return whole;
      hostPorts.add(Number(port));
      return `${HOST_NAME}:${port}`;
    });
  }
  for (const i of req.service.interfaces) {
    const key = (part: string) => envName("FAULTBOX", req.service.name, i.name, part);
    env[key("HOST")] = "127.0.0.1";
    env[key("PORT")] = String(i.port);
    env[key("ADDR")] = `127.0.0.1:${i.port}`;
  }
  return {
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    hostPorts: [...hostPorts].sort((a, b) => a - b),
  };
}

/**
 * The gateway of the engine's default bridge: the runner's host as containers see it, where the relays
 * listen. Docker calls the network "bridge"; Podman answers to that name too.
 */
async function bridgeGateway(client: DockerClient): Promise<string | undefined> {
  try {
    const net = await client.json<{ IPAM?: { Config?: { Gateway?: string }[] | null } }>(
      "GET",
      "/networks/bridge",
    );
    return net?.IPAM?.Config?.find((c) => c.Gateway && /^\d+\.\d+\.\d+\.\d+$/.test(c.Gateway))?.Gateway;
  } catch {
    return undefined;
  }
}

/**
 * What host.docker.internal maps to. Docker understands "host-gateway" (the bridge gateway on Linux;
 * Docker Desktop's route to the host's own loopback elsewhere). Podman 4.3 does not: it writes the word
 * into /etc/hosts, so Podman gets the gateway's address.
 */
async function hostGatewayEntry(client: DockerClient, gateway: string | undefined): Promise<string> {
  const version = await client
    .json<{ Components?: { Name?: string }[] }>("GET", "/version")
    .catch(() => undefined);
  const podman = version?.Components?.some((c) => /podman/i.test(c.Name ?? "")) ?? false;
  return podman && gateway ? gateway : "host-gateway";
}

/**
 * Engine errors a user can meet on a fresh machine, with what to do. Rootful Podman asks the runtime
 * for RLIMIT_NOFILE/NPROC above what an unprivileged-resource sandbox allows; runc then refuses.
 */
function explainStartError(err: unknown): Error {
  const message = (err as Error).message;
  if (/error setting rlimit/i.test(message)) {
    return new Error(
      `${message} — the engine asks for more open files or processes than this machine allows; ` +
        `set explicit limits for its containers (Podman: default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"] ` +
        `under [containers] in containers.conf; Docker: --default-ulimit for dockerd)`,
    );
  }
  return err as Error;
}

export function containerLauncherFor(getClient: () => Promise<DockerClient>): Launcher {
  return {
    kind: "image",
    async launch(req: LaunchRequest): Promise<RunningProcess> {
      const svc = req.service;
      const client = await getClient();
      await ensureImage(client, svc.image!, req.signal);
      if (req.signal?.aborted) throw new Error("interrupted before its container was created");
      const exposed: Record<string, object> = {};
      const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
      const addresses: RunningProcess["addresses"] = {};
      for (const i of svc.interfaces) {
        const hostPort = svc.ports[i.port] ?? 0;
        exposed[`${i.port}/tcp`] = {};
        bindings[`${i.port}/tcp`] = [{ HostIp: "127.0.0.1", HostPort: hostPort ? String(hostPort) : "" }];
      }
      const name = `faultbox-${svc.name}-${randomBytes(3).toString("hex")}`;
      const { env, hostPorts } = containerEnv(req);
      const gateway = await bridgeGateway(client);
      const hostEntry = await hostGatewayEntry(client, gateway);
      const created = await client.json<{ Id: string }>("POST", `/containers/create?name=${name}`, {
        Image: svc.image,
        ...(svc.args.length ? { Cmd: svc.args } : {}),
        Env: env,
        ExposedPorts: exposed,
        Labels: { "faultbox.runner": String(process.pid) },
        HostConfig: {
          PortBindings: bindings,
          ExtraHosts: [
            `${HOST_NAME}:${hostEntry}`,
            ...[...runningOn(client.socketPath)]
              .filter(([other]) => other !== svc.name)
              .map(([other, ip]) => `${other}:${ip}`),
          ],
        },
      });
      const id = created.Id;
      guardContainer(client.socketPath, id);
      const tail: string[] = [];
      const closeRelays: (() => void)[] = [];
      let ip: string | undefined;
      const openRelays = async (ports: number[]) => {
        const late: number[] = [];
        for (const port of ports) {
          try {
            closeRelays.push(await openHostRelay(gateway!, port));
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EADDRNOTAVAIL") throw err;
            late.push(port);
          }
        }
        return late;
      };
      try {
        // Before the start, so the service's first connection finds them; a bridge that only comes up
        // with this first container gets its relays right after.
        const late = gateway ? await openRelays(hostPorts) : [];
        await client.json("POST", `/containers/${id}/start`);
        // Still not local after the start: the bridge lives elsewhere (Docker Desktop's VM), where
        // host.docker.internal already reaches the host's loopback by the engine's own means.
        if (late.length) await openRelays(late);
        const info = await client.json<{
          NetworkSettings: {
            Ports: Record<string, { HostPort: string }[] | null>;
            IPAddress?: string;
            Networks?: Record<string, { IPAddress?: string }>;
          };
        }>("GET", `/containers/${id}/json`);
        for (const i of svc.interfaces) {
          const b = info.NetworkSettings.Ports[`${i.port}/tcp`]?.[0];
          if (b) addresses[i.name] = { host: "127.0.0.1", port: Number(b.HostPort) };
        }
        ip =
          info.NetworkSettings.IPAddress ||
          Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress ||
          undefined;
        if (ip) runningOn(client.socketPath).set(svc.name, ip);
      } catch (err) {
        await client.json("DELETE", `/containers/${id}?force=1`).catch(() => undefined);
        releaseContainer(id);
        for (const close of closeRelays) close();
        throw explainStartError(err);
      }
      // The log stream of a run ends when the container stops. After a start the stream is opened
      // again from the beginning and the lines already delivered are skipped (Podman's timestamps
      // and `since` have whole seconds only, too coarse to tell a line of the old run from one of
      // the new run within the same second).
      let delivered = 0;
      let logs: { destroy(): void } | undefined;
      const followLogs = () => {
        logs?.destroy();
        let skip = delivered;
        const partial: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
        const demux = new DockerLogDemuxer((stream, text) => {
          const lines = (partial[stream] + text).split("\n");
          partial[stream] = lines.pop()!;
          for (const line of lines) {
            if (skip > 0) {
              skip--;
              continue;
            }
            delivered++;
            tail.push(line);
            if (tail.length > 200) tail.shift();
            req.onLine(stream, line);
          }
        });
        void client
          .stream("GET", `/containers/${id}/logs?follow=1&stdout=1&stderr=1`)
          .then(async (res) => {
            logs = res;
            for await (const c of res) demux.push(c as Buffer);
          })
          .catch(() => undefined);
      };
      followLogs();
      let run = containerRun(client, id);
      let paused = false;
      let down = false;
      const onlyNode = (node: number) => {
        if (node !== 1)
          throw new Error(`service "${svc.name}" is one container: it has node 1 only, not node ${node}`);
      };
      const actions: ServiceActions = {
        nodes: [1],
        async kill(node) {
          onlyNode(node);
          run.byAction = true;
          down = true;
          if (paused) await client.json("POST", `/containers/${id}/unpause`);
          paused = false;
          await client.json("POST", `/containers/${id}/kill?signal=SIGKILL`);
          await run.ended;
        },
        async stop(node, graceMs) {
          onlyNode(node);
          run.byAction = true;
          down = true;
          if (paused) await client.json("POST", `/containers/${id}/unpause`);
          paused = false;
          await client.json("POST", `/containers/${id}/stop?t=${Math.ceil(graceMs / 1000)}`, undefined, {
            timeoutMs: stopTimeoutMs(graceMs),
          });
          await run.ended;
        },
        async start(node) {
          onlyNode(node);
          if (!down)
            throw new Error(`service "${svc.name}" is running; kill or stop it before starting it again`);
          await client.json("POST", `/containers/${id}/start`);
          run = containerRun(client, id);
          down = false;
          followLogs();
          const again = await client
            .json<{
              NetworkSettings: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> };
            }>("GET", `/containers/${id}/json`)
            .catch(() => undefined);
          const nextIp =
            again?.NetworkSettings.IPAddress ||
            Object.values(again?.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress ||
            undefined;
          if (nextIp) {
            ip = nextIp;
            runningOn(client.socketPath).set(svc.name, nextIp);
          }
        },
        async pause(node) {
          onlyNode(node);
          if (down) throw new Error(`service "${svc.name}" is down; start it before pausing it`);
          await client.json("POST", `/containers/${id}/pause`);
          paused = true;
        },
        async resume(node) {
          onlyNode(node);
          if (paused) await client.json("POST", `/containers/${id}/unpause`);
          paused = false;
        },
      };
      return {
        addresses,
        get exited() {
          return run.exited;
        },
        lastLines: (n) => tail.slice(-n),
        // The supervisor would have to run inside the container (its entrypoint replaced): not built.
        ...(req.wrapper
          ? {
              unsupervised: `service "${svc.name}" runs in a container (image ${svc.image}), where this build cannot apply syscall faults; they need a local process (a binary service, or an image with a local stand-in such as Kafka's when no container engine runs). Protocol faults (rules=) work`,
            }
          : {}),
        async stop(graceMs) {
          if (paused) await client.json("POST", `/containers/${id}/unpause`).catch(() => undefined);
          paused = false;
          await client
            .json("POST", `/containers/${id}/stop?t=${Math.ceil(graceMs / 1000)}`, undefined, {
              timeoutMs: stopTimeoutMs(graceMs),
            })
            .catch(() => undefined);
          await client.json("DELETE", `/containers/${id}?force=1`).catch(() => undefined);
          releaseContainer(id);
          for (const close of closeRelays) close();
          const known = runningOn(client.socketPath);
          if (ip && known.get(svc.name) === ip) known.delete(svc.name);
        },
        actions,
      };
    },
  };
}

/** A stop waits up to the grace period inside the engine before it answers: that on top of a request's time. */
function stopTimeoutMs(graceMs: number): number {
  return Math.ceil(graceMs / 1000) * 1000 + ENGINE_REQUEST_TIMEOUT_MS;
}

/** One run of a container (from a start to its exit): `exited` skips exits an action caused. */
interface ContainerRun {
  ended: Promise<ExitStatus>;
  exited: Promise<ExitStatus>;
  byAction: boolean;
}

function containerRun(client: DockerClient, id: string): ContainerRun {
  let markExited: (s: ExitStatus) => void = () => undefined;
  const run: ContainerRun = {
    byAction: false,
    exited: new Promise<ExitStatus>((res) => (markExited = res)),
    ended: client
      // Answers when the container exits, however long it runs: no request timeout.
      .json<{ StatusCode: number }>("POST", `/containers/${id}/wait`, undefined, { timeoutMs: 0 })
      .then((r) => ({ code: r.StatusCode, signal: null }))
      .catch(() => ({ code: null, signal: null })),
  };
  void run.ended.then((s) => {
    if (!run.byAction) markExited(s);
  });
  return run;
}

let engine: Promise<DockerClient> | undefined;
export const containerLauncher: Launcher = containerLauncherFor(() => {
  engine ??= findEngine();
  engine.catch(() => (engine = undefined));
  return engine;
});
