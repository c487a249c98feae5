import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createConnection, createServer as createNetServer, type AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DockerLogDemuxer, dockerClient, findEngine } from "../../src/launch/docker-api.js";
import { containerLauncherFor } from "../../src/launch/container.js";
import { SpecBuilder } from "../../src/core/builder.js";
import "../../src/index.js"; // registers the protocols interfaces name

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

test("Docker's multiplexed log stream is split per stream, across chunk boundaries", () => {
  const got: string[] = [];
  const d = new DockerLogDemuxer((s, t) => got.push(`${s}:${t}`));
  const all = Buffer.concat([frame(1, "hello\n"), frame(2, "warn\n")]);
  d.push(all.subarray(0, 5));
  d.push(all.subarray(5, 17));
  d.push(all.subarray(17));
  assert.deepEqual(got, ["stdout:hello\n", "stderr:warn\n"]);
});

test("no reachable engine: the error lists every socket tried and the alternatives", async () => {
  await assert.rejects(
    findEngine({ DOCKER_HOST: "unix:///nonexistent/d.sock", XDG_RUNTIME_DIR: "/nonexistent" }),
    (err: Error) => {
      assert.match(err.message, /no container engine is reachable \(tried \/nonexistent\/d\.sock \(absent\)/);
      assert.match(err.message, /\/nonexistent\/podman\/podman\.sock \(absent\)/);
      assert.match(err.message, /podman\.socket/);
      assert.match(err.message, /remote="host:port"/);
      return true;
    },
  );
  await assert.rejects(
    findEngine({ DOCKER_HOST: "tcp://1.2.3.4:2375", XDG_RUNTIME_DIR: "/nonexistent" }),
    /only unix:\/\/ sockets are supported/,
  );
});

test("container launch through the Engine API: pull, create with port bindings and env, start, logs, stop and remove", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-docker-"));
  const socket = join(dir, "docker.sock");
  const calls: string[] = [];
  let created: Record<string, unknown> = {};
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    for await (const c of req) body += c;
    const path = req.url!.replace(/^\/v1\.41/, "");
    calls.push(`${req.method} ${path.split("?")[0]}`);
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(v));
    };
    if (path === "/_ping") return res.end("OK");
    // The default bridge's gateway: the runner's host as containers see it (127.0.0.2 is on lo here).
    if (path === "/version") return json(200, { Components: [{ Name: "Engine", Version: "27.0.0" }] });
    if (path === "/networks/bridge")
      return json(200, { IPAM: { Config: [{ Subnet: "127.0.0.0/8", Gateway: "127.0.0.2" }] } });
    if (path.startsWith("/images/") && req.method === "GET") return json(404, { message: "No such image" });
    if (path.startsWith("/images/create")) return res.end('{"status":"Pulling"}\n{"status":"Done"}\n');
    if (path.startsWith("/containers/create")) {
      created = JSON.parse(body);
      return json(201, { Id: "c1" });
    }
    if (path === "/containers/c1/start") return json(204, "");
    if (path === "/containers/c1/json")
      return json(200, {
        NetworkSettings: { Ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "45678" }] } },
      });
    if (path.startsWith("/containers/c1/logs")) {
      res.writeHead(200);
      res.write(frame(1, "nginx ready\n"));
      return; // stays open like a followed log stream
    }
    if (path === "/containers/c1/wait") return; // never answers until the container stops
    if (path.startsWith("/containers/c1/stop")) return json(204, "");
    if (path.startsWith("/containers/c1") && req.method === "DELETE") return json(204, "");
    json(404, { message: `unexpected ${path}` });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  try {
    const client = await findEngine({ DOCKER_HOST: `unix://${socket}` });
    const launcher = containerLauncherFor(async () => client);
    const b = new SpecBuilder(join(dir, "spec.star"), { repr: String, equals: Object.is, truthy: Boolean });
    const svc = b.service("web", {
      image: "nginx:1.27",
      interfaces: [b.interface("main", "http", 80)],
      env: { MODE: "test", UPSTREAM: "", SELF: "127.0.0.1:80" },
      args: ["nginx", "-g", "daemon off;"],
    });
    // Something on the runner's loopback the container must reach (a proxy, say).
    const upstream = createNetServer((s) => s.end("from the host\n"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const upstreamPort = (upstream.address() as AddressInfo).port;
    const lines: string[] = [];
    const proc = await launcher.launch({
      service: svc,
      // What core gives every service: the host port the interface is published on, loopback addresses.
      env: {
        MODE: "test",
        UPSTREAM: `http://127.0.0.1:${upstreamPort}/x`,
        SELF: "127.0.0.1:80",
        FAULTBOX_WEB_MAIN_PORT: String(svc.ports[80]),
        FAULTBOX_UP_MAIN_HOST: "127.0.0.1",
        FAULTBOX_UP_MAIN_ADDR: `127.0.0.1:${upstreamPort}`,
        HOME: "/root",
      },
      onLine: (_s, l) => lines.push(l),
    });
    assert.deepEqual(proc.addresses.main, { host: "127.0.0.1", port: 45678 });
    assert.equal(created.Image, "nginx:1.27");
    assert.deepEqual(created.Cmd, ["nginx", "-g", "daemon off;"]);
    assert.deepEqual(
      (created.Env as string[]).sort(),
      [
        `FAULTBOX_UP_MAIN_ADDR=host.docker.internal:${upstreamPort}`,
        "FAULTBOX_UP_MAIN_HOST=host.docker.internal",
        "FAULTBOX_WEB_MAIN_ADDR=127.0.0.1:80",
        "FAULTBOX_WEB_MAIN_HOST=127.0.0.1",
        "FAULTBOX_WEB_MAIN_PORT=80",
        "MODE=test",
        "SELF=127.0.0.1:80",
        `UPSTREAM=http://host.docker.internal:${upstreamPort}/x`,
      ],
      "the runner's own env stays out; the container's own interface is where it listens inside; host loopback addresses name the host",
    );
    // Docker maps "host-gateway" itself (Podman 4.3 does not: it gets the gateway's address).
    assert.deepEqual((created.HostConfig as { ExtraHosts: string[] }).ExtraHosts, [
      "host.docker.internal:host-gateway",
    ]);
    // The relay: the gateway address, same port, reaches the runner's loopback.
    const viaGateway = async () =>
      new Promise<string>((resolve, reject) => {
        const c = createConnection({ host: "127.0.0.2", port: upstreamPort });
        let got = "";
        c.on("data", (d) => (got += d))
          .on("end", () => resolve(got))
          .on("error", reject);
      });
    assert.equal(await viaGateway(), "from the host\n");
    const bindings = (
      created.HostConfig as { PortBindings: Record<string, { HostIp: string; HostPort: string }[]> }
    ).PortBindings;
    assert.deepEqual(bindings["80/tcp"], [{ HostIp: "127.0.0.1", HostPort: String(svc.ports[80]) }]);
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(lines, ["nginx ready"]);
    await proc.stop(1000);
    await assert.rejects(viaGateway(), /ECONNREFUSED/, "the relay closes with the container");
    upstream.close();
    assert.deepEqual(
      calls.filter((c) => !c.startsWith("GET /containers/c1/logs") && c !== "POST /containers/c1/wait"),
      [
        "GET /_ping",
        "GET /images/nginx:1.27/json",
        "POST /images/create",
        "GET /networks/bridge",
        "GET /version",
        "POST /containers/create",
        "POST /containers/c1/start",
        "GET /containers/c1/json",
        "POST /containers/c1/stop",
        "DELETE /containers/c1",
      ],
    );
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("an engine that stops answering: the launch fails with an error naming the engine and the request, the container is removed; the wait for the container's exit is never cut short", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-docker-hung-"));
  const socket = join(dir, "docker.sock");
  const calls: string[] = [];
  let inspectHangs = true;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    for await (const _ of req) void _;
    const path = req.url!.replace(/^\/v1\.41/, "");
    calls.push(`${req.method} ${path.split("?")[0]}`);
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(v));
    };
    if (path.startsWith("/images/")) return json(200, { Id: "sha256:1" });
    if (path === "/version" || path === "/networks/bridge") return json(200, {});
    if (path.startsWith("/containers/create")) return json(201, { Id: "c1" });
    if (path === "/containers/c1/start") return json(204, "");
    // A hung engine: the container started, and then nothing answers (a lock held forever).
    if (path === "/containers/c1/json" && inspectHangs) return;
    if (path === "/containers/c1/json") return json(200, { NetworkSettings: { Ports: {} } });
    if (path === "/containers/c1/wait") return; // answers only when the container exits
    if (path.startsWith("/containers/c1/logs")) return res.writeHead(200).write("");
    if (path.startsWith("/containers/c1")) return json(204, "");
    json(404, { message: `unexpected ${path}` });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  try {
    const client = dockerClient(socket, { timeoutMs: 300 });
    const launcher = containerLauncherFor(async () => client);
    const b = new SpecBuilder(join(dir, "spec.star"), { repr: String, equals: Object.is, truthy: Boolean });
    const svc = b.service("web", { image: "web:1", interfaces: [b.interface("main", "http", 80)] });
    const launch = () => launcher.launch({ service: svc, env: {}, onLine: () => undefined });
    await assert.rejects(launch(), (err: Error) => {
      assert.equal(
        err.message,
        `the container engine at ${socket} did not answer GET /containers/c1/json within 300ms: it looks hung. ` +
          "Check it with `podman ps` or `docker ps` (a command that hangs too confirms it) and restart the engine",
      );
      return true;
    });
    assert.ok(calls.includes("DELETE /containers/c1"), "the container it created is removed again");

    // The same engine answering again: the long-poll for the container's exit outlasts the request timeout.
    inspectHangs = false;
    const proc = await launch();
    let exited = false;
    void proc.exited.then(() => (exited = true));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(exited, false, "a container that runs on is not taken for one that exited");
    await proc.stop(1000);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("a runner killed with SIGKILL: the watchdog removes its containers through the engine", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-docker-owner-"));
  const socket = join(dir, "docker.sock");
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url!.replace(/^\/v1\.41/, "");
    calls.push(`${req.method} ${path.split("?")[0]}`);
    req.resume();
    res.setHeader("Content-Type", "application/json");
    if (path.startsWith("/images/")) return res.end("{}");
    if (path.startsWith("/containers/create")) return res.end(JSON.stringify({ Id: "owned1" }));
    if (path === "/containers/owned1/json")
      return res.end(JSON.stringify({ NetworkSettings: { Ports: {} } }));
    if (path.startsWith("/containers/owned1/logs") || path === "/containers/owned1/wait") return; // held open
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(socket, r));
  try {
    const owner = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./fixtures/container-owner.ts", import.meta.url)), socket],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) =>
      owner.stdout!.on("data", (d) => String(d).includes("launched") && resolve()),
    );
    owner.kill("SIGKILL");
    const deadline = Date.now() + 15_000;
    while (!calls.includes("DELETE /containers/owned1") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(calls.includes("DELETE /containers/owned1"), calls.join(", "));
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("a container the runtime cannot start over its ulimits: removed again, and the error says what to set", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-docker-rlimit-"));
  const socket = join(dir, "docker.sock");
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url!.replace(/^\/v1\.41/, "");
    calls.push(`${req.method} ${path.split("?")[0]}`);
    req.resume();
    res.setHeader("Content-Type", "application/json");
    if (path.startsWith("/images/")) return res.end("{}");
    if (path.startsWith("/containers/create")) return res.end(JSON.stringify({ Id: "r1" }));
    if (path === "/containers/r1/start") {
      res.statusCode = 500;
      // Podman 4.3's answer on a machine without CAP_SYS_RESOURCE.
      return res.end(
        JSON.stringify({
          message:
            "runc: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: OCI permission denied",
        }),
      );
    }
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(socket, r));
  try {
    const launcher = containerLauncherFor(async () => findEngine({ DOCKER_HOST: `unix://${socket}` }));
    const b = new SpecBuilder(join(dir, "spec.star"), { repr: String, equals: Object.is, truthy: Boolean });
    const svc = b.service("web", { image: "nginx:1.27", interfaces: [b.interface("main", "http", 80)] });
    await assert.rejects(
      launcher.launch({ service: svc, env: {}, onLine: () => undefined }),
      (err: Error) => {
        assert.match(err.message, /error setting rlimit type 7/);
        assert.match(err.message, /default_ulimits = \["nofile=1024:1024", "nproc=4096:4096"\]/);
        return true;
      },
    );
    assert.ok(calls.includes("DELETE /containers/r1"), calls.join(", "));
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
