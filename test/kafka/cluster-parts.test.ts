// The parts of a multi-broker Kafka service that need no Kafka: the settings a spec writes
// (kafka_cluster() / kafkaCluster()) and their errors, the server.properties of a node whose
// inter-broker traffic crosses link gates, the gates themselves (cut swallows and holds, heal closes
// what was held), and the proxy's bootstrap failing over to the next broker of a cluster.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parseClusterSettings, clusterServerProperties } from "../../src/protocols/kafka/cluster/service.js";
import { openLinks } from "../../src/protocols/kafka/cluster/links.js";
import { controllerHosts, serverProperties } from "../../src/launch/kafka-local/server-properties.js";
import { startKafkaProxy, type KafkaProxyEvent } from "../../src/protocols/kafka/proxy/index.js";
import { encodeRequest } from "../../src/protocols/kafka/wire/index.js";

const settings = (o: Record<string, unknown>) => parseClusterSettings("kafka", JSON.stringify(o));

test("cluster settings: defaults, broker config, and errors naming the service and the setting", () => {
  assert.deepEqual(settings({}), {
    nodes: 3,
    version: "4",
    replicationFactor: 3,
    partitions: 1,
    config: {},
    links: true,
  });
  const s = settings({
    nodes: 5,
    minInsyncReplicas: 2,
    config: { "unclean.leader.election.enable": true, "replica.lag.time.max.ms": 5000 },
  });
  assert.equal(s.replicationFactor, 3, "at most 3 by default");
  assert.deepEqual(clusterServerProperties(s), {
    "default.replication.factor": "3",
    "num.partitions": "1",
    "min.insync.replicas": "2",
    "unclean.leader.election.enable": "true",
    "replica.lag.time.max.ms": "5000",
  });
  assert.equal(settings({ nodes: 1 }).links, false, "one node has no links");
  assert.throws(
    () => settings({ nodes: 0 }),
    /service "kafka" \(Kafka cluster\): nodes= must be an int from 1 to 9, got 0/,
  );
  assert.throws(
    () => settings({ nodes: 2, replicationFactor: 3 }),
    /replication_factor=3 needs at least that many nodes \(nodes=2\)/,
  );
  assert.throws(
    () => settings({ minInsyncReplicas: 4 }),
    /min_insync_replicas=4 is more than replication_factor=3/,
  );
  assert.throws(
    () => settings({ config: { "node.id": "7" } }),
    /config\["node\.id"\] is set by faultbox for each node/,
  );
  assert.throws(
    () => settings({ config: { "Bad Key": "x" } }),
    /config key "Bad Key" is not a broker setting name/,
  );
  assert.throws(() => settings({ config: { "a.b": [1] } }), /config\["a\.b"\] must be a string, int or bool/);
  assert.throws(() => settings({ node: 3 }), /unknown setting "node"; valid: nodes, version/);
  assert.throws(() => parseClusterSettings("kafka", "{"), /FAULTBOX_KAFKA_CLUSTER is not valid JSON/);
});

test("server.properties with links: a replication listener per source node, peers at their links, controllers by names each node's hosts file resolves to its gates", () => {
  const nodes = [1, 2, 3].map((id) => ({
    nodeId: id,
    brokerPort: 9000 + id,
    controllerPort: 9100 + id,
    replicationPorts: { 1: 9200 + id * 10 + 1, 2: 9200 + id * 10 + 2, 3: 9200 + id * 10 + 3 },
  }));
  const routes = {
    replication: (from: number, to: number) => ({ host: "127.0.0.1", port: 7000 + from * 10 + to }),
    controller: (from: number, to: number) => ({ host: "127.0.0.1", port: 8000 + from * 10 + to }),
  };
  const text = serverProperties(
    nodes[1]!,
    nodes,
    "127.0.0.1",
    "/data",
    { major: 4, minor: 1 } as never,
    {},
    {},
    routes,
  );
  const props = Object.fromEntries(
    text
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  assert.equal(props["inter.broker.listener.name"], "REPL_2");
  assert.equal(
    props["controller.quorum.voters"],
    "1@faultbox-controller-1:9101,2@faultbox-controller-2:9102,3@faultbox-controller-3:9103",
    "the voters by name, on their own controller ports",
  );
  assert.equal(
    props.listeners,
    "PLAINTEXT://127.0.0.1:9002,CONTROLLER://faultbox-controller-2:9102,REPL_1://127.0.0.1:9221,REPL_2://127.0.0.1:9222,REPL_3://127.0.0.1:9223",
    "node 2's controller listener is bound at its name, which the quorum's leader tells its followers",
  );
  assert.equal(
    controllerHosts(2, nodes, "127.0.0.1", "box"),
    "127.0.0.1 localhost box\n::1 localhost\n" +
      "127.0.2.1 faultbox-controller-1\n127.0.0.1 faultbox-controller-2\n127.0.2.3 faultbox-controller-3\n",
    "node 2's JVM finds node j's controller at the gate 2 -> j (127.0.2.j), its own at its listener",
  );
  assert.equal(
    props["advertised.listeners"],
    "PLAINTEXT://127.0.0.1:9002,REPL_1://127.0.0.1:7012,REPL_2://127.0.0.1:9222,REPL_3://127.0.0.1:7032",
    "node j finds node 2 on REPL_j at the link j -> 2",
  );
  assert.match(
    props["listener.security.protocol.map"]!,
    /REPL_1:PLAINTEXT,REPL_2:PLAINTEXT,REPL_3:PLAINTEXT$/,
  );
});

/** A TCP server that answers every chunk with "echo:<chunk>". */
async function echoServer(): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("data", (d) => s.write(`echo:${d.toString()}`));
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as AddressInfo).port, server, sockets };
}

function client(
  port: number,
  host = "127.0.0.1",
): Promise<{ socket: Socket; received: string[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const received: string[] = [];
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("data", (d) => received.push(d.toString()));
    socket.on("error", () => undefined);
    socket.once("connect", () => resolve({ socket, received, closed }));
    socket.once("error", reject);
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
  assert.ok(cond(), what);
}

test("a link gate relays, swallows and holds while cut, and closes what it held when healed", async () => {
  const controller = await echoServer();
  const links = await openLinks(
    [
      {
        from: 1,
        to: 2,
        replication: { host: "127.0.0.1", port: controller.port },
        controller: { host: "127.0.0.1", port: controller.port },
        controllerGate: { host: "127.0.1.2", port: controller.port },
      },
    ],
    { seed: 1 },
  );
  try {
    assert.deepEqual(
      links.controller(1, 2),
      { host: "127.0.1.2", port: controller.port },
      "the controller gate listens where node 1 resolves node 2's controller name: its own address, node 2's port",
    );
    const gate = links.controller(1, 2).port;
    const before = await client(gate, "127.0.1.2");
    before.socket.write("a");
    await until(() => before.received.join("") === "echo:a", "relayed before the cut");
    links.cut(1, 2);
    before.socket.write("b");
    const held = await client(gate, "127.0.1.2");
    held.socket.write("c");
    await sleep(200);
    assert.equal(before.received.join(""), "echo:a", "nothing passes an open connection while cut");
    assert.deepEqual(held.received, [], "a new connection is accepted and never answered");
    assert.equal(controller.sockets.size, 1, "the held connection never reached the node");
    links.heal(1, 2);
    await before.closed;
    await held.closed;
    const after = await client(gate, "127.0.1.2");
    after.socket.write("d");
    await until(() => after.received.join("") === "echo:d", "relayed again after the heal");
    after.socket.destroy();
    assert.throws(() => links.cut(2, 1), /no link from node 2 to node 1/);
  } finally {
    await links.close();
    controller.server.close();
  }
});

/** A port nothing listens on (bound, then closed): connecting to it is refused. */
async function deadPort(): Promise<number> {
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, "127.0.0.1", () => r()));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  return port;
}

/** A stand-in broker that records the bytes each connection sends and never answers. */
async function recorder(): Promise<{ port: number; server: Server; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((s) => {
    s.on("data", (d) => received.push(d));
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as AddressInfo).port, server, received };
}

test("the proxy's bootstrap fails over within the client's connection while the first broker refuses", async () => {
  const alive = await recorder();
  const dead = await deadPort();
  const events: KafkaProxyEvent[] = [];
  const proxy = await startKafkaProxy({
    upstream: `127.0.0.1:${dead},127.0.0.1:${alive.port}`,
    onEvent: (e) => events.push(e),
  });
  try {
    const port = Number(proxy.bootstrap.split(":")[1]);
    // The client writes at once; its bytes wait while the dead broker refuses, then reach the live one.
    const first = await client(port);
    const frame = encodeRequest(18, 0, 7, "failover-test", {});
    first.socket.write(frame);
    // The same request (the proxy numbers requests on its own: bytes 8-11, the correlation id, differ).
    const sameRequest = (got: Buffer) =>
      got.length === frame.length &&
      got.subarray(0, 8).equals(frame.subarray(0, 8)) &&
      got.subarray(12).equals(frame.subarray(12));
    await until(
      () => sameRequest(Buffer.concat(alive.received)),
      "the first connection's request reached the live broker",
    );
    assert.equal(first.socket.destroyed, false, "the client's connection stays open");
    const opens = () => events.filter((e) => e.type === "connection" && e.action === "open");
    assert.deepEqual(
      opens().map((e) => (e.type === "connection" ? [e.upstream, e.refused] : [])),
      [[`127.0.0.1:${alive.port}`, [`127.0.0.1:${dead}: ECONNREFUSED`]]],
    );
    // The refusal is remembered: the next connection goes to the live broker first.
    const second = await client(port);
    await until(() => opens().length === 2, "the second connection opened");
    const last = opens()[1]!;
    assert.ok(last.type === "connection" && last.upstream === `127.0.0.1:${alive.port}` && !last.refused);
    assert.equal(proxy.stats.connectionsActive, 2);
    first.socket.destroy();
    second.socket.destroy();
  } finally {
    await proxy.close();
    alive.server.close();
  }
});

test("a cluster bootstrap connection that no broker accepts is closed with a warning naming each address", async () => {
  const [a, b] = [await deadPort(), await deadPort()];
  const events: KafkaProxyEvent[] = [];
  const proxy = await startKafkaProxy({
    upstream: `127.0.0.1:${a},127.0.0.1:${b}`,
    onEvent: (e) => events.push(e),
  });
  try {
    const c = await client(Number(proxy.bootstrap.split(":")[1]));
    await c.closed;
    const warnings = events
      .filter((e) => e.type === "warning")
      .map((e) => (e.type === "warning" ? e.message : ""));
    assert.deepEqual(warnings, [
      `upstream connection failed: no bootstrap address accepted it (127.0.0.1:${a}: ECONNREFUSED; 127.0.0.1:${b}: ECONNREFUSED)`,
    ]);
    assert.equal(events.filter((e) => e.type === "connection").length, 0, "no connection was opened");
    assert.equal(proxy.stats.connectionsActive, 0);
  } finally {
    await proxy.close();
  }
});

/**
 * A stand-in broker answering every request (any API) with an ApiVersions v0 body (no error, no
 * keys) after `delayMs`: counts the connections it accepted and the requests it received.
 */
async function responder(delayMs: number): Promise<{
  port: number;
  server: Server;
  connections: number;
  requests: number;
  replies: number;
}> {
  const r = { port: 0, server: createServer(), connections: 0, requests: 0, replies: 0 };
  r.server.on("connection", (s) => {
    r.connections++;
    let buf = Buffer.alloc(0);
    s.on("error", () => undefined);
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        r.requests++;
        const reply = Buffer.alloc(4 + 4 + 2 + 4);
        reply.writeInt32BE(reply.length - 4, 0);
        reply.writeInt32BE(frame.readInt32BE(4), 4); // the correlation id
        setTimeout(() => {
          r.replies++;
          if (!s.destroyed) s.write(reply);
        }, delayMs);
      }
    });
  });
  await new Promise<void>((ok) => r.server.listen(0, "127.0.0.1", () => ok()));
  r.port = (r.server.address() as AddressInfo).port;
  return r;
}

test("isolate() cuts the clients off one broker: open connections swallow both ways, bootstrap skips it, heal closes what it held", async () => {
  const a = await responder(150);
  const b = await responder(0);
  const [A, B] = [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`];
  const events: KafkaProxyEvent[] = [];
  const proxy = await startKafkaProxy({ upstream: `${A},${B}`, onEvent: (e) => events.push(e) });
  const opens = () =>
    events.flatMap((e) =>
      e.type === "connection" && e.action === "open"
        ? [{ upstream: e.upstream, refused: e.refused, held: e.held }]
        : [],
    );
  const request = (n: number) => encodeRequest(18, 0, n, "isolate-test", {});
  try {
    const port = Number(proxy.bootstrap.split(":")[1]);
    const c1 = await client(port);
    c1.socket.write(request(1));
    await until(() => c1.received.length === 1, "answered through broker A before the isolation");
    assert.deepEqual(opens(), [{ upstream: A, refused: undefined, held: undefined }]);

    // A request reaches A, then the clients lose A before its answer comes back: the answer is swallowed.
    c1.socket.write(request(2));
    await until(() => a.requests === 2, "the second request reached A");
    proxy.isolate(A);
    assert.deepEqual(proxy.isolated(), [A]);
    await until(() => a.replies === 2, "A answered the second request");
    c1.socket.write(request(3));
    await sleep(300);
    assert.equal(c1.received.length, 1, "A's answer after the isolation never reaches the client");
    assert.equal(a.requests, 2, "what the client sends after the isolation never reaches A");
    assert.equal(c1.socket.destroyed, false, "the connection stays open, silent, as on a lossy network");

    // A new bootstrap connection goes to B and says why it skipped A.
    const c2 = await client(port);
    c2.socket.write(request(4));
    await until(() => c2.received.length === 1, "answered through broker B");
    assert.deepEqual(opens()[1], { upstream: B, refused: [`${A}: isolated`], held: undefined });

    // Cut off from both: a bootstrap connection is accepted and held, relayed to neither.
    proxy.isolate(B);
    await until(() => c2.received.length === 1 && b.requests === 1, "B saw one request");
    const c3 = await client(port);
    c3.socket.write(request(5));
    await sleep(300);
    assert.deepEqual(c3.received, [], "a held connection is never answered");
    assert.deepEqual(opens()[2], { upstream: `${A},${B}`, refused: undefined, held: "isolated" });
    assert.equal(a.connections + b.connections, 2, "the held connection reached no broker");

    // Healing A closes what its isolation held (both c1 and the held c3); B stays cut off.
    proxy.heal(A);
    await c1.closed;
    await c3.closed;
    assert.equal(c2.socket.destroyed, false, "B's isolation still holds c2 open");
    assert.deepEqual(proxy.isolated(), [B]);
    const c4 = await client(port);
    c4.socket.write(request(6));
    await until(() => c4.received.length === 1, "answered through A again after the heal");
    assert.deepEqual(opens()[3], { upstream: A, refused: [`${B}: isolated`], held: undefined });
    proxy.heal(B);
    await c2.closed;
    assert.deepEqual(proxy.isolated(), []);
    assert.throws(() => proxy.isolate("nonsense"), /bad Kafka address "nonsense": expected host:port/);
    c4.socket.destroy();
  } finally {
    await proxy.close();
    a.server.close();
    b.server.close();
  }
});
