import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { createServer as createTcpServer, connect, type AddressInfo } from "node:net";
import { startHttpProxy } from "../../src/protocols/http/proxy.js";
import { startTcpProxy } from "../../src/protocols/tcp/proxy.js";
import { SpecBuilder } from "../../src/core/builder.js";
import { freePort } from "../../src/launch/process-guard/free-port.js";

const b = new SpecBuilder("/tmp/x.star", { repr: String, equals: Object.is, truthy: Boolean });

async function upstreamHttp() {
  const server = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(`upstream ${req.method} ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(
  port: number,
  path: string,
  method = "GET",
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, method, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", (err) => resolve({ error: err.message }));
    req.end();
  });
}

test("HTTP proxy: passes through, then applies error/response/drop rules matched on method and path", async () => {
  const up = await upstreamHttp();
  const events: Record<string, unknown>[] = [];
  const proxy = await startHttpProxy({
    upstream: { host: "127.0.0.1", port: up.port },
    seed: 1n,
    listenHost: "127.0.0.1",
    onEvent: (t, d) => void (t === "proxy" && events.push(d)),
  });
  try {
    assert.deepEqual(await get(proxy.listen.port, "/orders/1"), {
      status: 200,
      body: "upstream GET /orders/1",
    });
    proxy.addRule(
      b.proxyRule("error", { path: "/orders/*", method: "post" }, { status: 503, message: "down" }),
    );
    assert.deepEqual(await get(proxy.listen.port, "/orders/1", "POST"), {
      status: 503,
      body: '{"error":"down"}',
    });
    assert.deepEqual(await get(proxy.listen.port, "/orders/1"), {
      status: 200,
      body: "upstream GET /orders/1",
    });
    proxy.addRule(b.proxyRule("response", { path: "/health" }, { status: 200, body: "fake" }));
    assert.deepEqual(await get(proxy.listen.port, "/health"), { status: 200, body: "fake" });
    proxy.addRule(b.proxyRule("drop", { path: "/drop" }, {}));
    assert.ok("error" in (await get(proxy.listen.port, "/drop")));
    assert.deepEqual(
      events.map((e) => [e.action, e.method, e.path]),
      [
        ["error", "POST", "/orders/1"],
        ["response", "GET", "/health"],
        ["drop", "GET", "/drop"],
      ],
    );
    proxy.clearRules();
    assert.deepEqual(await get(proxy.listen.port, "/drop"), { status: 200, body: "upstream GET /drop" });
  } finally {
    await proxy.close();
    up.server.close();
  }
});

test("HTTP proxy: a delay rule lets later rules act; probability draws follow the seed", async () => {
  const up = await upstreamHttp();
  const outcomes = async (seed: bigint) => {
    const events: Record<string, unknown>[] = [];
    const proxy = await startHttpProxy({
      upstream: { host: "127.0.0.1", port: up.port },
      seed,
      listenHost: "127.0.0.1",
      onEvent: (t, d) => void (t === "proxy" && events.push(d)),
    });
    proxy.addRule(b.proxyRule("delay", {}, { delayMs: 1 }));
    proxy.addRule(b.proxyRule("error", {}, { status: 500 }, 0.5));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(((await get(proxy.listen.port, "/x")) as { status: number }).status);
    await proxy.close();
    return { statuses, delays: events.filter((e) => e.action === "delay").length };
  };
  try {
    const a = await outcomes(99n);
    const again = await outcomes(99n);
    assert.deepEqual(a, again);
    assert.equal(a.delays, 12);
    assert.ok(a.statuses.includes(500) && a.statuses.includes(200), `mixed outcomes expected: ${a.statuses}`);
  } finally {
    up.server.close();
  }
});

/** Sends `data` over a fresh connection; resolves with what came back, or `error:CODE`. */
function tcpExchange(port: number, data: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const s = connect(port, "127.0.0.1", () => s.write(data));
    let got = "";
    s.on("data", (d) => {
      got += d;
      if (got.length >= data.length) s.end();
    });
    s.on("close", () => resolve(got));
    s.on("error", (err: NodeJS.ErrnoException) => resolve(`error:${err.code}`));
  });
}

test("TCP proxy: relays both ways; drop resets matching connections; response answers instead of the service", async () => {
  const echo = createTcpServer((s) => s.on("data", (d) => s.write(`echo:${d}`)));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  const events: Record<string, unknown>[] = [];
  const proxy = await startTcpProxy({
    upstream: { host: "127.0.0.1", port: (echo.address() as AddressInfo).port },
    seed: 1n,
    listenHost: "127.0.0.1",
    onEvent: (t, d) => void (t === "proxy" && events.push(d)),
    protocol: "tcp",
    peekFirstChunk: true,
  });
  const exchange = (data: string) => tcpExchange(proxy.listen.port, data);
  try {
    assert.equal(await exchange("PING"), "echo:PING");
    proxy.addRule(b.proxyRule("drop", { prefix: "BAD" }, {}));
    assert.equal(await exchange("BAD stuff"), "error:ECONNRESET");
    assert.equal(await exchange("PING"), "echo:PING");
    proxy.addRule(b.proxyRule("response", { prefix: "PI" }, { body: "PONG" }));
    assert.equal(await exchange("PING"), "PONG");
    assert.deepEqual(
      events.map((e) => e.action),
      ["drop", "response"],
    );
  } finally {
    await proxy.close();
    echo.close();
  }
});

test("HTTP proxy: per-rule matched/fired counts, removeRule keeps the others, a fixed port, connection events", async () => {
  const up = await upstreamHttp();
  const fixed = await freePort();
  const events: { type: string; data: Record<string, unknown>; rule?: unknown }[] = [];
  const proxy = await startHttpProxy({
    upstream: { host: "127.0.0.1", port: up.port },
    seed: 7n,
    listenHost: "127.0.0.1",
    listenPort: fixed,
    onEvent: (type, data, rule) => events.push({ type, data, rule }),
  });
  try {
    assert.equal(proxy.listen.port, fixed);
    const half = b.proxyRule("error", { path: "/a" }, { status: 503 }, 0.5);
    const never = b.proxyRule("error", { path: "/nothing" }, { status: 500 });
    const always = b.proxyRule("response", { path: "/b" }, { body: "canned" });
    for (const r of [half, never, always]) proxy.addRule(r);
    let served503 = 0;
    for (let i = 0; i < 10; i++)
      if (((await get(proxy.listen.port, "/a")) as { status: number }).status === 503) served503++;
    await get(proxy.listen.port, "/b");
    assert.deepEqual(proxy.ruleCounts!(half), { matched: 10, fired: served503 });
    assert.ok(served503 > 0 && served503 < 10, `probability 0.5 fired ${served503} of 10`);
    assert.deepEqual(proxy.ruleCounts!(never), { matched: 0, fired: 0 });
    assert.deepEqual(proxy.ruleCounts!(always), { matched: 1, fired: 1 });
    // Each fault event names the rule object that fired.
    const faults = events.filter((e) => e.type === "proxy");
    assert.equal(faults.filter((e) => e.rule === half).length, served503);
    assert.equal(faults.filter((e) => e.rule === always).length, 1);

    assert.equal(proxy.removeRule!(half), true);
    assert.equal(proxy.removeRule!(half), false);
    assert.deepEqual(await get(proxy.listen.port, "/a"), { status: 200, body: "upstream GET /a" });
    assert.deepEqual(await get(proxy.listen.port, "/b"), { status: 200, body: "canned" });
    // Counts are the rule's own and survive a clear and re-add (summed over installs).
    proxy.clearRules();
    proxy.addRule(always);
    await get(proxy.listen.port, "/b");
    assert.deepEqual(proxy.ruleCounts!(always), { matched: 3, fired: 3 });

    const opens = events.filter((e) => e.type === "proxy_conn_open");
    assert.equal(opens.length, 14);
    assert.equal(opens[0]!.data.target, `127.0.0.1:${up.port}`);
  } finally {
    await proxy.close();
    up.server.close();
  }
});

test("TCP proxy: counts per rule (prefix matchers), removeRule, connection events with the connection id", async () => {
  const echo = createTcpServer((s) => s.on("data", (d) => s.write(`echo:${d}`)));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const proxy = await startTcpProxy({
    upstream: { host: "127.0.0.1", port: (echo.address() as AddressInfo).port },
    seed: 1n,
    listenHost: "127.0.0.1",
    onEvent: (type, data) => events.push({ type, data }),
    protocol: "tcp",
    peekFirstChunk: true,
  });
  const exchange = (data: string) => tcpExchange(proxy.listen.port, data);
  try {
    const bad = b.proxyRule("drop", { prefix: "BAD" }, {});
    const pong = b.proxyRule("response", { prefix: "PI" }, { body: "PONG" });
    proxy.addRule(bad);
    proxy.addRule(pong);
    assert.equal(await exchange("BAD"), "error:ECONNRESET");
    assert.equal(await exchange("PING"), "PONG");
    assert.equal(await exchange("HELLO"), "echo:HELLO");
    assert.deepEqual(proxy.ruleCounts!(bad), { matched: 1, fired: 1 });
    assert.deepEqual(proxy.ruleCounts!(pong), { matched: 1, fired: 1 });
    assert.equal(proxy.removeRule!(bad), true);
    assert.equal(await exchange("BAD"), "echo:BAD");
    assert.equal(await exchange("PING"), "PONG");
    const fault = events.find((e) => e.type === "proxy")!;
    const open = events.find((e) => e.type === "proxy_conn_open" && e.data.conn_id === fault.data.conn_id);
    assert.ok(open, "the faulted connection was logged when it opened");
  } finally {
    await proxy.close();
    echo.close();
  }
});
