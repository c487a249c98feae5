// `faultbox proxy` as a command: flags and config files (errors name the flag or key), the ready
// line, one log line per connection/fault/rule change (human and JSON), a clean stop on SIGTERM and
// SIGINT, the token rule for non-loopback control addresses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaultboxProxyClient } from "../../src/control/client.js";
import { httpCall } from "./helpers.js";
import { BIN, startFaultboxProxy as start } from "./run-proxy.js";

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const p = start(args, env);
  const r = await p.exited;
  return { ...r, stdout: p.lines.join("\n") };
}

async function upstream(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => res.end(`upstream ${req.url}`));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as AddressInfo).port };
}

const portClosed = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.on("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.on("error", () => resolve(true));
  });

test("usage errors exit 1 naming the flag or key, with the usage; --help exits 0", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-proxy-cli-"));
  const badKey = join(dir, "bad.json");
  writeFileSync(
    badKey,
    JSON.stringify({ proxies: [{ name: "k", protocol: "kafka", upstream: "127.0.0.1:9092", lisen: "1" }] }),
  );
  const badYaml = join(dir, "bad.yaml");
  writeFileSync(badYaml, "proxies: [\n");
  const cases: [string[], RegExp][] = [
    [[], /no proxies: name at least one, e.g. --kafka kafka=127.0.0.1:9092/],
    [["--kafka", "127.0.0.1:9092"], /--kafka 127.0.0.1:9092: expected NAME=HOST:PORT/],
    [["--kafka", "k=localhost"], /upstream: expected HOST:PORT, got "localhost"/],
    [["--kafka", "k=127.0.0.1:9092,lisen=1"], /unknown option "lisen=1"; valid: listen=\[HOST:\]PORT/],
    [["--kafka", "k=127.0.0.1:9092,listen=0.0.0.0:19092"], /a Kafka proxy advertises its listen address/],
    [
      ["--kafak", "k=127.0.0.1:9092"],
      /unknown flag --kafak; valid: --kafka, --tcp, --http, --postgres, --config/,
    ],
    [
      ["--http", "w=127.0.0.1:80", "--control", "0.0.0.0:8475"],
      /reachable from other machines; give --token TOKEN/,
    ],
    [["--http", "w=127.0.0.1:80", "--token", "short"], /--token: use at least 8 characters/],
    [["--http", "w=127.0.0.1:80", "--seed", "-3"], /--seed: a whole number from 0 to 2\^64-1/],
    [["--http", "w=127.0.0.1:80", "--log", "xml"], /--log: human or json, got "xml"/],
    [["--config", join(dir, "missing.json")], /missing\.json: no such file/],
    [
      ["--config", badKey],
      /proxies\[0\]: unknown key "lisen"; valid: name, protocol, upstream, listen, rules/,
    ],
    [["--config", badYaml], /bad\.yaml: not valid YAML/],
    [["--http", "a=127.0.0.1:80", "--http", "a=127.0.0.1:81"], /two proxies are named "a"/],
    [["--http", "a=127.0.0.1:80", "stray"], /unexpected argument "stray"/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: faultbox proxy \[--kafka NAME=HOST:PORT/);
  const top = spawn(process.execPath, [BIN, "--help"]);
  let text = "";
  top.stdout.on("data", (c) => (text += c));
  await new Promise((r) => top.on("exit", r));
  assert.match(text, /faultbox proxy \[--kafka NAME=HOST:PORT\]/);
});

test("JSON log: the ready line, one line per connection, fault and rule change; SIGTERM stops cleanly", async () => {
  const up = await upstream();
  const p = start([
    "--http",
    `web=127.0.0.1:${up.port}`,
    "--control",
    "127.0.0.1:0",
    "--log",
    "json",
    "--seed",
    "77",
  ]);
  try {
    const ready = JSON.parse(await p.line(/"type":"ready"/)) as {
      control: string;
      seed: string;
      proxies: { name: string; listen: string; upstream: string }[];
    };
    assert.equal(ready.seed, "77");
    assert.deepEqual(
      ready.proxies.map((x) => [x.name, x.upstream]),
      [["web", `127.0.0.1:${up.port}`]],
    );
    const port = Number(ready.proxies[0]!.listen.split(":")[1]);
    const client = new FaultboxProxyClient(ready.control);
    assert.equal(await client.seed(), "77");
    const rule = await client.addRule("web", { action: "error", path: "/boom", status: 502 });
    assert.equal((await httpCall(port, "GET", "/boom")).status, 502);
    assert.equal((await httpCall(port, "GET", "/ok")).text, "upstream /ok");
    const fault = JSON.parse(await p.line(/"type":"fault"/)) as Record<string, unknown>;
    assert.deepEqual(
      [fault.proxy, fault.rule_id, fault.action, fault.path, fault.status],
      ["web", rule.id, "error", "/boom", 502],
    );
    await client.removeRule("web", rule.id);
    const removed = JSON.parse(await p.line(/"type":"rule_removed"/)) as Record<string, unknown>;
    assert.deepEqual([removed.rule_id, removed.matched, removed.fired], [rule.id, 1, 1]);
    await p.line(/"type":"connection_close"/);
    const types = p.lines.map((l) => (JSON.parse(l) as { type: string }).type);
    assert.deepEqual(
      types.filter((t) => t !== "connection_close"),
      ["ready", "rule_added", "connection_open", "fault", "connection_open", "rule_removed"],
    );

    p.child.kill("SIGTERM");
    const exit = await p.exited;
    assert.deepEqual([exit.code, exit.signal], [0, null]);
    assert.match(p.lines.at(-1)!, /"type":"stopping","signal":"SIGTERM"/);
    assert.equal(await portClosed(port), true, "the proxy's port is closed");
    assert.equal(await portClosed(Number(new URL(ready.control).port)), true, "the control port is closed");
  } finally {
    p.child.kill("SIGKILL");
    up.server.close();
  }
});

test("a YAML config with start rules, human log lines, SIGINT stops; a port in use is a clear start error", async () => {
  const up = await upstream();
  const dir = mkdtempSync(join(tmpdir(), "fb-proxy-cli-"));
  const config = join(dir, "proxy.yaml");
  writeFileSync(
    config,
    [
      "control: 127.0.0.1:0",
      "seed: 5",
      "proxies:",
      "  - name: web",
      "    protocol: http",
      `    upstream: 127.0.0.1:${up.port}`,
      "    rules:",
      "      - { action: response, path: /canned, status: 200, body: from-the-proxy }",
    ].join("\n"),
  );
  const p = start(["--config", config]);
  try {
    const first = await p.line(/control API on/);
    assert.match(first, /^faultbox proxy: control API on http:\/\/127\.0\.0\.1:\d+, seed 5$/);
    const listen = /clients connect to 127\.0\.0\.1:(\d+), upstream/.exec(await p.line(/web \(http\)/))!;
    const port = Number(listen[1]);
    assert.equal((await httpCall(port, "GET", "/canned")).text, "from-the-proxy");
    assert.match(
      await p.line(/FAULT/),
      /web {2}FAULT response rule 1 response\(path="\/canned", status=200, body="from-the-proxy"\) on method=GET path=\/canned \(status=200\) conn 1/,
    );
    assert.match(await p.line(/conn 1 open/), /web conn 1 open -> 127\.0\.0\.1:\d+/);

    // A rule removed without ever firing says so.
    const control = new FaultboxProxyClient(/control API on (http:\/\/[\d.:]+)/.exec(first)![1]!);
    const idle = await control.addRule("web", { action: "drop", path: "/never" });
    await control.removeRule("web", idle.id);
    assert.match(
      await p.line(/removed/),
      /rule 2 removed: drop\(path="\/never"\) \(matched 0, fired 0\): it never fired$/,
    );

    // The same fixed port again: in use.
    const clash = await run([
      "--http",
      `web=127.0.0.1:${up.port},listen=${port}`,
      "--control",
      "127.0.0.1:0",
    ]);
    assert.equal(clash.code, 1);
    assert.match(
      clash.stderr,
      new RegExp(`proxy "web" cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`),
    );

    p.child.kill("SIGINT");
    const exit = await p.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(p.lines.at(-1)!, /faultbox proxy: SIGINT, stopping/);
  } finally {
    p.child.kill("SIGKILL");
    up.server.close();
  }
});

test("a non-loopback control address with a token: every call needs the token", async () => {
  const up = await upstream();
  const p = start(["--http", `web=127.0.0.1:${up.port}`, "--control", "0.0.0.0:0", "--log", "json"], {
    FAULTBOX_PROXY_TOKEN: "a-long-enough-token",
  });
  try {
    const ready = JSON.parse(await p.line(/"type":"ready"/)) as { control: string };
    const port = Number(new URL(ready.control).port);
    assert.equal((await httpCall(port, "GET", "/proxies")).status, 401);
    const ok = await httpCall(port, "GET", "/proxies", undefined, {
      Authorization: "Bearer a-long-enough-token",
    });
    assert.equal(ok.status, 200);
  } finally {
    p.child.kill("SIGTERM");
    await p.exited;
    up.server.close();
  }
});
