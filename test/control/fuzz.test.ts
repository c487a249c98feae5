// Fuzzed control requests (random and broken JSON, wrong types, huge bodies, odd paths and methods,
// connections cut mid-request) get 4xx answers, never a 500, and leave the proxy serving: its
// control API and the traffic it proxies still work afterwards. Seeded, so a failure reproduces.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { prng } from "../kafka/sample-messages.js";
import { httpCall, startHarness } from "./helpers.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20251);

function randomValue(rnd: () => number, depth = 0): unknown {
  const pick = Math.floor(rnd() * (depth > 2 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rnd() < 0.5;
    case 2:
      return Math.floor(rnd() * 2e9) - 1e9;
    case 3:
      return rnd() * 10 - 5;
    case 4:
      return ["drop", "delay", "error", "response", "duplicate", "", "3s", "50%", "/x", "\u0000", "💥"][
        Math.floor(rnd() * 11)
      ];
    case 5:
      return "x".repeat(Math.floor(rnd() * 2000));
    case 6:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
    default: {
      const keys = [
        "action",
        "path",
        "method",
        "delay",
        "status",
        "body",
        "message",
        "prefix",
        "probability",
        "times",
        "topic",
        "__proto__",
        "constructor",
      ];
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 5); i > 0; i--)
        o[keys[Math.floor(rnd() * keys.length)]!] = randomValue(rnd, depth + 1);
      return o;
    }
  }
}

function mangle(rnd: () => number, text: string): string {
  if (text.length === 0) return "{";
  const i = Math.floor(rnd() * text.length);
  const ops = [
    () => text.slice(0, i),
    () => text.slice(0, i) + "}" + text.slice(i),
    () => text.slice(0, i) + text.slice(i + 1),
    () => text.slice(0, i) + "\\u" + text.slice(i),
    () => text + ",",
  ];
  return ops[Math.floor(rnd() * ops.length)]!();
}

/** Sends raw bytes and closes the connection early. */
function rawAndCut(port: number, bytes: string, cutAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.write(bytes);
      setTimeout(() => s.destroy(), cutAfterMs);
    });
    s.on("error", () => undefined);
    s.on("close", () => resolve());
  });
}

test("fuzzed control requests get 4xx (never 5xx) and leave the proxy serving", async () => {
  const rnd = prng(SEED);
  const h = await startHarness({ bodyLimit: 64 * 1024 });
  const statuses = new Map<number, number>();
  const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
  try {
    const paths = [
      "/proxies/web/rules",
      "/proxies/line/rules",
      "/proxies/web/rules/1",
      "/reset",
      "/events",
      "/events/stream?since=x",
      "/proxies/%zz",
      "/proxies/web/rules/99999999999999999999",
      "//",
      "/proxies/web/rules/1/extra",
    ];
    const methods = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"];
    for (let i = 0; i < 400; i++) {
      const valid = JSON.stringify(randomValue(rnd));
      const body = rnd() < 0.5 ? valid : mangle(rnd, valid);
      // Half of them at the rules endpoint, where the body is parsed and checked.
      const path = rnd() < 0.5 ? "/proxies/web/rules" : paths[Math.floor(rnd() * paths.length)]!;
      const method = rnd() < 0.7 ? "POST" : methods[Math.floor(rnd() * methods.length)]!;
      if (path.startsWith("/events/stream") && method === "GET") continue; // a stream stays open
      const r = await httpCall(h.control.address.port, method, path, method === "GET" ? undefined : body);
      count(r.status);
      assert.ok(r.status < 500, `${method} ${path} ${body.slice(0, 200)} -> ${r.status} ${r.text}`);
      if (r.status >= 400)
        assert.equal(
          typeof (r.json as { error?: unknown } | undefined)?.error,
          "string",
          `${method} ${path} -> ${r.status} ${r.text}`,
        );
    }
    // Huge bodies: declared (refused before reading) and streamed without a length (cut at the limit).
    const declared = await httpCall(
      h.control.address.port,
      "POST",
      "/proxies/web/rules",
      JSON.stringify({ action: "drop", path: "x".repeat(5 << 20) }),
    );
    assert.equal(declared.status, 413);
    const chunked = await new Promise<number>((resolve) => {
      const s = connect(h.control.address.port, "127.0.0.1", () => {
        s.write(
          "POST /proxies/web/rules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        const chunk = "x".repeat(16384);
        const pump = () => {
          while (s.writable && s.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`))
            if (s.bytesWritten > 8 << 20) return;
          if (s.writable) s.once("drain", pump);
        };
        pump();
      });
      let head = "";
      s.on("data", (d) => (head += d));
      s.on("error", () => undefined);
      s.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0)));
    });
    assert.equal(chunked, 413);
    // Cut connections: half a header, half a body, garbage.
    await rawAndCut(h.control.address.port, "POST /proxies/web/rules HTTP/1.1\r\nContent-Le", 20);
    await rawAndCut(
      h.control.address.port,
      'POST /proxies/web/rules HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ac',
      20,
    );
    await rawAndCut(h.control.address.port, "\u0000\u0001GARBAGE\r\n\r\n", 20);

    // Still serving: the control API answers, a good rule installs and acts on the proxied traffic.
    assert.equal((await h.call("GET", "/")).status, 200);
    const rules = h.session.rules("web");
    for (const r of rules)
      assert.ok(r.rule.startsWith(`${r.action}(`), "only well-formed rules were installed");
    await h.call("POST", "/reset");
    const added = await h.call("POST", "/proxies/web/rules", {
      action: "error",
      path: "/after",
      status: 418,
    });
    assert.equal(added.status, 201);
    assert.equal((await httpCall(h.webPort, "GET", "/after")).status, 418);
    assert.equal((await httpCall(h.webPort, "GET", "/fine")).text, "upstream GET /fine");
    assert.ok(
      (statuses.get(400) ?? 0) > 150,
      `most requests reached the checks: ${JSON.stringify([...statuses])}`,
    );
  } finally {
    await h.close();
  }
});
