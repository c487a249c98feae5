// The control API of faultbox proxy, in process, in front of an HTTP and a TCP upstream of our own:
// rules from the registry's vocabulary, errors naming the field, nothing half-applied, counters,
// events (query and streams), reset, the token and the Host check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { request } from "node:http";
import { registerProtocol, getProtocol } from "../../src/core/protocol.js";
import { FaultboxProxyClient, FaultboxProxyError } from "../../src/control/client.js";
import { ProxySession } from "../../src/control/session.js";
import { httpCall, startHarness } from "./helpers.js";

const web = (port: number, path: string, method = "GET") => httpCall(port, method, path);

/** A proxy in front of port 9 (nothing listens there: requests get 502). */
const spec = (name: string, rules?: unknown[], protocol = "http") => ({
  name,
  protocol,
  upstream: { host: "127.0.0.1", port: 9 },
  listen: { host: "127.0.0.1", port: 0 },
  ...(rules ? { rules } : {}),
});

test("add, list, remove: a rule acts on the proxied traffic from when it is added until it is removed", async () => {
  const h = await startHarness();
  try {
    assert.equal((await web(h.webPort, "/orders")).text, "upstream GET /orders");
    const added = await h.call("POST", "/proxies/web/rules", {
      action: "error",
      path: "/orders",
      status: 503,
    });
    assert.equal(added.status, 201);
    const rule = added.json as { id: number; rule: string; active: boolean; matched: number; fired: number };
    assert.equal(rule.rule, 'error(path="/orders", status=503)');
    assert.deepEqual([rule.active, rule.matched, rule.fired], [true, 0, 0]);
    assert.equal((await web(h.webPort, "/orders")).status, 503);
    assert.equal((await web(h.webPort, "/other")).status, 200);

    const listed = (await h.call("GET", "/proxies/web/rules")).json as {
      rules: { id: number; fired: number }[];
    };
    assert.deepEqual(
      listed.rules.map((r) => [r.id, r.fired]),
      [[rule.id, 1]],
    );
    assert.deepEqual((await h.call("GET", `/proxies/web/rules/${rule.id}`)).json, listed.rules[0]);

    const removed = await h.call("DELETE", `/proxies/web/rules/${rule.id}`);
    assert.equal(removed.status, 200);
    assert.deepEqual(
      [(removed.json as { active: boolean }).active, (removed.json as { fired: number }).fired],
      [false, 1],
    );
    assert.equal((await web(h.webPort, "/orders")).status, 200);
    const again = await h.call("DELETE", `/proxies/web/rules/${rule.id}`);
    assert.equal(again.status, 404);
    assert.match((again.json as { error: string }).error, /rule \d+ of proxy "web" was removed already/);
  } finally {
    await h.close();
  }
});

test("bad rules get a 400 naming the field, and a list with one bad rule installs nothing", async () => {
  const h = await startHarness();
  try {
    const cases: [unknown, number, string, RegExp][] = [
      [{ topic: "t" }, 400, "action", /action: required, one of error, response, delay, drop/],
      [
        { action: "dorp" },
        400,
        "action",
        /the http proxy implements error, response, delay, drop rules, not "dorp"/,
      ],
      [
        { action: "drop", topic: "t" },
        400,
        "topic",
        /topic: unknown field for a http drop rule; valid: action, probability, method, path/,
      ],
      [{ action: "delay", path: "/x" }, 400, "delay", /delay: required for delay rules/],
      [{ action: "delay", delay: "soon" }, 400, "delay", /bad duration "soon"/],
      [{ action: "delay", delay: true }, 400, "delay", /delay: a duration such as "500ms"/],
      [{ action: "drop", probability: 2 }, 400, "probability", /probability: 2 is not a probability/],
      [{ action: "drop", probability: "150%" }, 400, "probability", /not a probability/],
      [{ action: "drop", path: { a: 1 } }, 400, "path", /path: a matcher is a string, got an object/],
      [{ action: "error", status: "503" }, 400, "status", /status: an HTTP status code/],
      [{ action: "drop", times: 1 }, 400, "times", /times: unknown field for a http drop rule/],
      ['"just a string"', 400, "", /a rule is a JSON object/],
    ];
    for (const [body, status, field, message] of cases) {
      const r = await h.call("POST", "/proxies/web/rules", body);
      const e = r.json as { error: string; field?: string };
      assert.equal(r.status, status, JSON.stringify(body));
      assert.match(e.error, message, JSON.stringify(body));
      assert.equal(e.field ?? "", field, JSON.stringify(body));
    }
    // The TCP proxy's vocabulary is its own: prefix=, and response/error with body=/message=.
    const tcp = await h.call("POST", "/proxies/line/rules", { action: "drop", path: "/x" });
    assert.match((tcp.json as { error: string }).error, /valid: action, probability, prefix/);

    const list = await h.call("POST", "/proxies/web/rules", [
      { action: "error", path: "/a", status: 500 },
      { action: "drop", path: "/b" },
      { action: "delay", path: "/c", delay: -5 },
    ]);
    assert.equal(list.status, 400);
    assert.equal((list.json as { field: string }).field, "[2].delay");
    assert.deepEqual(((await h.call("GET", "/rules")).json as { rules: unknown[] }).rules, []);
    assert.equal(
      (await web(h.webPort, "/a")).status,
      200,
      "the valid first rule of the list was not installed",
    );

    const ok = await h.call("POST", "/proxies/web/rules", [
      { action: "error", path: "/a", status: 500 },
      { action: "drop", path: "/b" },
    ]);
    assert.equal(ok.status, 201);
    assert.deepEqual(
      (ok.json as { rule: string }[]).map((r) => r.rule),
      ['error(path="/a", status=500)', 'drop(path="/b")'],
    );
  } finally {
    await h.close();
  }
});

test("HTTP-level mistakes: unknown proxy, path, method, query parameter, content type, empty and invalid bodies", async () => {
  const h = await startHarness();
  try {
    const expect = async (r: Promise<{ status: number; json: unknown }>, status: number, message: RegExp) => {
      const a = await r;
      assert.equal(a.status, status);
      assert.match((a.json as { error: string }).error, message);
    };
    await expect(h.call("GET", "/proxies/nope"), 404, /no proxy named "nope"; proxies: web, line/);
    await expect(h.call("POST", "/proxies/nope/rules", { action: "drop" }), 404, /no proxy named "nope"/);
    await expect(h.call("GET", "/nowhere"), 404, /no endpoint GET \/nowhere; endpoints: GET \//);
    const wrong = await h.call("PUT", "/proxies/web/rules", { action: "drop" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, "GET, POST, DELETE");
    await expect(
      h.call("GET", "/events?sinse=3"),
      400,
      /unknown query parameter "sinse"; valid: since, proxy, type, rule, limit/,
    );
    await expect(h.call("GET", "/events?since=-1"), 400, /since: an integer >= 0/);
    await expect(
      h.call("GET", "/events?type=faults"),
      400,
      /type: unknown event type "faults"; types: fault, /,
    );
    await expect(h.call("GET", "/events?proxy=nope"), 404, /no proxy named "nope"/);
    await expect(h.call("GET", "/proxies/web/rules/abc"), 400, /id: an integer >= 1/);
    await expect(
      h.call("POST", "/proxies/web/rules", '{"action":"drop"}', { "Content-Type": "text/plain" }),
      415,
      /Content-Type: application\/json \(got "text\/plain"\)/,
    );
    await expect(h.call("POST", "/proxies/web/rules", ""), 400, /the request body is empty/);
    await expect(h.call("POST", "/proxies/web/rules", '{"action": "drop",'), 400, /not valid JSON/);
    await expect(h.call("POST", "/proxies/web/rules", []), 400, /the list of rules is empty/);
  } finally {
    await h.close();
  }
});

test("counters per rule: matched counts matcher hits, fired what acted (probability), and the events query lists both", async () => {
  const h = await startHarness();
  try {
    const half = (
      await h.call("POST", "/proxies/web/rules", { action: "error", path: "/x", probability: "50%" })
    ).json as { id: number };
    let errors = 0;
    for (let i = 0; i < 16; i++) if ((await web(h.webPort, "/x")).status === 500) errors++;
    await web(h.webPort, "/y");
    const page = (await h.call("GET", "/events?type=fault")).json as {
      events: { rule_id: number; type: string; path: string }[];
      rules: { id: number; matched: number; fired: number }[];
    };
    assert.ok(errors > 0 && errors < 16, `50% fired ${errors} of 16`);
    assert.deepEqual(
      page.rules.map((r) => [r.id, r.matched, r.fired]),
      [[half.id, 16, errors]],
    );
    assert.equal(page.events.length, errors);
    assert.ok(page.events.every((e) => e.rule_id === half.id && e.type === "fault" && e.path === "/x"));
    // The same seed and the same traffic give the same outcome: the seed is what --seed replays.
    assert.deepEqual((await h.call("GET", "/seed")).json, { seed: "42" });
  } finally {
    await h.close();
  }
  const again = await startHarness();
  try {
    await again.call("POST", "/proxies/web/rules", { action: "error", path: "/x", probability: "50%" });
    let errors2 = 0;
    for (let i = 0; i < 16; i++) if ((await web(again.webPort, "/x")).status === 500) errors2++;
    const r = ((await again.call("GET", "/rules")).json as { rules: { fired: number }[] }).rules[0]!;
    assert.equal(r.fired, errors2);
  } finally {
    await again.close();
  }
});

test("events: since/limit paging, connection events, lost events past the buffer, reset", async () => {
  const h = await startHarness();
  try {
    await h.call("POST", "/proxies/line/rules", { action: "response", prefix: "PING", body: "PONG" });
    const exchange = (data: string) =>
      new Promise<string>((resolve) => {
        const s = connect(h.tcpPort, "127.0.0.1", () => s.write(data));
        let got = "";
        s.on("data", (d) => {
          got += d;
          if (got.length >= data.length) s.end(); // a whole reply: PONG, or echo:DATA
        });
        s.on("close", () => resolve(got));
        s.on("error", () => resolve(got));
      });
    assert.equal(await exchange("PING"), "PONG");
    assert.equal(await exchange("HELLO"), "echo:HELLO");
    const all = (await h.call("GET", "/events?proxy=line")).json as {
      events: { seq: number; type: string }[];
      next: number;
    };
    const types = all.events.map((e) => e.type);
    assert.deepEqual(types.filter((t) => t === "fault").length, 1);
    assert.equal(types.filter((t) => t === "connection_open").length, 2);
    const first = (await h.call("GET", "/events?proxy=line&limit=1")).json as {
      events: { seq: number }[];
      next: number;
    };
    assert.equal(first.events.length, 1);
    assert.equal(first.next, first.events[0]!.seq);
    const rest = (await h.call("GET", `/events?proxy=line&since=${first.next}`)).json as {
      events: unknown[];
    };
    assert.equal(rest.events.length, all.events.length - 1);

    const reset = (await h.call("POST", "/reset")).json as { removed: number; next: number };
    assert.deepEqual(reset, { removed: 1, next: all.next });
    const after = (await h.call("GET", "/events")).json as { events: unknown[]; rules: unknown[] };
    assert.deepEqual([after.events, after.rules], [[], []]);
    assert.equal(await exchange("PING"), "echo:PING", "reset removed the rule");
  } finally {
    await h.close();
  }

  // A small buffer drops the oldest events and says how many a reader missed.
  const small = await ProxySession.start({
    seed: 1n,
    eventBuffer: 10,
    proxies: [spec("web")],
  });
  try {
    const port = Number(small.proxy("web").listen.split(":")[1]);
    for (let i = 0; i < 10; i++) await web(port, "/"); // 502s: the upstream port is closed; 2 events each
    const page = small.events({ since: 0 });
    assert.ok(page.events.length <= 10);
    assert.equal(page.lost + page.events.length, 20);
  } finally {
    await small.close();
  }
});

test("event stream: NDJSON by default, Server-Sent Events on Accept: text/event-stream", async () => {
  const h = await startHarness();
  try {
    const rule = (await h.call("POST", "/proxies/web/rules", { action: "drop", path: "/gone" })).json as {
      id: number;
    };
    const read = (accept: string) =>
      new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: h.control.address.port,
            path: "/events/stream?type=fault",
            headers: { Accept: accept },
            agent: false,
          },
          (res) => {
            assert.equal(res.statusCode, 200);
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c) => {
              text += c;
              if (text.includes("\n\n") || (accept.includes("ndjson") && text.includes("\n"))) {
                req.destroy();
                resolve(text);
              }
            });
            void web(h.webPort, "/gone").catch(() => undefined);
          },
        );
        req.on("error", reject);
        req.end();
      });
    const ndjson = await read("application/x-ndjson");
    const e = JSON.parse(ndjson.split("\n")[0]!) as { type: string; rule_id: number; action: string };
    assert.deepEqual([e.type, e.rule_id, e.action], ["fault", rule.id, "drop"]);
    const sse = await read("text/event-stream");
    assert.match(sse, /^id: \d+\nevent: fault\ndata: \{.*"rule_id":\d+.*\}\n\n/);

    // The TypeScript client reads the same stream.
    const client = new FaultboxProxyClient(h.control.url);
    const ac = new AbortController();
    // since= makes the stream replay what happened after it, so it does not matter whether the
    // request below is faulted before or after the stream is set up.
    const since = (await client.events()).next;
    const next = (async () => {
      for await (const ev of client.stream({ type: ["fault"], since }, ac.signal)) return ev;
    })();
    await web(h.webPort, "/gone").catch(() => undefined);
    const got = await next;
    ac.abort();
    assert.equal(got?.rule_id, rule.id);
  } finally {
    await h.close();
  }
});

test("with a token every call needs it; without one only loopback Host names are answered", async () => {
  const h = await startHarness({ token: "s3cret-token" });
  try {
    const none = await h.call("GET", "/proxies");
    assert.equal(none.status, 401);
    assert.equal((none.json as { field: string }).field, "Authorization");
    assert.equal(
      (await h.call("GET", "/proxies", undefined, { Authorization: "Bearer wrong-token" })).status,
      401,
    );
    assert.equal(
      (await h.call("GET", "/proxies", undefined, { Authorization: "Bearer s3cret-token" })).status,
      200,
    );
    assert.equal((await h.call("POST", "/reset", undefined, {})).status, 401);
    const client = new FaultboxProxyClient(h.control.url, { token: "s3cret-token" });
    assert.equal((await client.proxies()).length, 2);
    await assert.rejects(
      new FaultboxProxyClient(h.control.url).proxies(),
      (e: FaultboxProxyError) => e.status === 401,
    );
  } finally {
    await h.close();
  }
  const open = await startHarness();
  try {
    const rebound = await open.call("GET", "/proxies", undefined, { Host: "attacker.example:8475" });
    assert.equal(rebound.status, 403);
    assert.match((rebound.json as { error: string }).error, /not a loopback name/);
    assert.equal((await open.call("GET", "/proxies", undefined, { Host: "localhost:8475" })).status, 200);
  } finally {
    await open.close();
  }
});

test("a rule kind a protocol registers is accepted by the API with no change to it (the registry is the vocabulary)", async () => {
  const http = getProtocol("http")!;
  // A protocol like http whose registry entry has one more rule kind, as the respfaults work adds to kafka.
  registerProtocol({
    ...http,
    name: "http-plus",
    rules: { ...http.rules, blackhole: { matchers: ["path"], params: ["window"], required: ["window"] } },
  });
  const session = await ProxySession.start({
    seed: 1n,
    proxies: [spec("p", undefined, "http-plus")],
  });
  try {
    assert.deepEqual(session.proxy("p").supported.blackhole, {
      matchers: ["path"],
      params: ["window", "probability"],
      required: ["window"],
    });
    const [added] = session.addRules("p", [{ action: "blackhole", path: "/x", window: "2s" }]);
    assert.equal(added!.rule, 'blackhole(path="/x", window="2s")');
    assert.throws(() => session.addRules("p", [{ action: "blackhole", path: "/x" }]), /window: required/);
  } finally {
    await session.close();
  }
});

test("start rules are checked before anything listens; two proxies may not share a name", async () => {
  await assert.rejects(
    ProxySession.start({ seed: 1n, proxies: [spec("a", [{ action: "drop" }, { action: "nope" }])] }),
    /a\.rules\[1\]\.action: the http proxy implements/,
  );
  await assert.rejects(
    ProxySession.start({ seed: 1n, proxies: [spec("a"), spec("a")] }),
    /two proxies are named "a"/,
  );
  const s = await ProxySession.start({ seed: 1n, proxies: [spec("a", [{ action: "drop", path: "/x" }])] });
  assert.equal(s.rules("a").length, 1);
  await s.close();
});
