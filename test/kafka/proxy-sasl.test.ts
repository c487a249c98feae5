// SASL after SaslHandshake v0 (raw tokens without a Kafka header): the tracker's state machine alone,
// then the proxy in front of a scripted broker that speaks the KIP-43 exchange.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { SaslV0Tracker, MAX_SASL_TOKEN_BYTES } from "../../src/protocols/kafka/proxy/sasl.js";
import {
  FrameReader,
  KafkaDecodeError,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  peekRequestHeader,
} from "../../src/protocols/kafka/wire/index.js";
import { rawClient } from "./raw-client.js";
import { proxyInFront } from "./proxy-in-front.js";

const SASL_HANDSHAKE = 17;
const API_VERSIONS = 18;
const noPrefix = (f: Buffer) => f.subarray(4);
const handshake = (version: number, mechanism: string, corr = 1) =>
  encodeRequest(SASL_HANDSHAKE, version, corr, "t", { mechanism });
const handshakeAnswer = (errorCode: number, corr = 1) =>
  encodeResponse(SASL_HANDSHAKE, 0, corr, {
    errorCode,
    mechanisms: ["PLAIN", "SCRAM-SHA-512", "GSSAPI"],
  });
/** A raw SASL token on the wire: a 4-byte size, then the bytes. */
function token(s: string | Buffer): Buffer {
  const body = Buffer.isBuffer(s) ? s : Buffer.from(s);
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** Drives a tracker through a v0 handshake for `mechanism` answered with `errorCode`. */
function trackerAfterHandshake(mechanism: string, errorCode = 0, version = 0) {
  const t = new SaslV0Tracker();
  const req = noPrefix(handshake(version, mechanism));
  assert.equal(t.clientFrame(req), "request");
  t.handshakeRequested(req);
  const warning = t.handshakeAnswered(noPrefix(handshakeAnswer(errorCode)));
  return { t, warning };
}

test("PLAIN after a v0 handshake: one raw client token, then Kafka requests again", () => {
  const { t, warning } = trackerAfterHandshake("PLAIN");
  assert.equal(warning, undefined);
  assert.equal(t.clientFrame(Buffer.from("\0alice\0secret")), "token");
  assert.equal(t.clientFrame(noPrefix(encodeRequest(API_VERSIONS, 0, 2, "t", {}))), "request");
});

test("SCRAM after a v0 handshake: two raw client tokens (client-first, client-final), then requests", () => {
  for (const m of ["SCRAM-SHA-256", "SCRAM-SHA-512"]) {
    const { t } = trackerAfterHandshake(m);
    assert.equal(t.clientFrame(Buffer.from("n,,n=alice,r=abc")), "token");
    assert.equal(t.mechanism, m);
    assert.equal(t.clientFrame(Buffer.from("c=biws,r=abcdef,p=xyz")), "token");
    assert.equal(t.clientFrame(Buffer.from("anything")), "request");
    assert.equal(t.mechanism, undefined);
  }
});

test("a refused v0 handshake or a v1 handshake starts no raw exchange", () => {
  assert.equal(trackerAfterHandshake("PLAIN", 33).t.clientFrame(Buffer.from("x")), "request");
  assert.equal(trackerAfterHandshake("PLAIN", 0, 1).t.clientFrame(Buffer.from("x")), "request");
});

test("an unfollowable mechanism after a v0 handshake makes the connection opaque, with a reason", () => {
  const { t, warning } = trackerAfterHandshake("GSSAPI");
  assert.ok(t.opaque);
  assert.match(warning!, /GSSAPI.*relayed unread.*fault rules/);
  for (let i = 0; i < 5; i++) assert.equal(t.clientFrame(Buffer.from("anything")), "opaque");
});

test("an oversized raw token is refused as corrupt, naming the mechanism and the limit", () => {
  const { t } = trackerAfterHandshake("SCRAM-SHA-512");
  assert.throws(
    () => t.clientFrame(Buffer.alloc(MAX_SASL_TOKEN_BYTES + 1)),
    (e: unknown) =>
      e instanceof KafkaDecodeError && /SCRAM-SHA-512 SASL token of 524289 bytes.*corrupt/.test(e.message),
  );
});

test("a truncated SaslHandshake v0 answer is a decode error, not a silent raw mode", () => {
  const t = new SaslV0Tracker();
  t.handshakeRequested(noPrefix(handshake(0, "PLAIN")));
  assert.throws(() => t.handshakeAnswered(Buffer.from([0, 0, 0, 1, 0])), KafkaDecodeError);
  assert.equal(t.clientFrame(Buffer.from("x")), "request");
});

/**
 * A broker speaking KIP-43: SaslHandshake v0, then raw tokens (PLAIN: alice/secret; SCRAM-SHA-512 and
 * GSSAPI: scripted replies), then ApiVersions v0. What it received is recorded per connection.
 */
async function startSaslBroker() {
  const sockets = new Set<Socket>();
  const received: string[][] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const seen: string[] = [];
    received.push(seen);
    const frames = new FrameReader();
    let raw: { mechanism: string; step: number } | undefined;
    socket.on("data", (chunk) => {
      for (const f of frames.push(chunk)) {
        if (raw) {
          seen.push(`token ${f.toString("latin1")}`);
          if (raw.mechanism === "PLAIN") {
            raw = undefined;
            if (f.toString() !== "\0alice\0secret") return socket.destroy();
            socket.write(token(Buffer.alloc(0)));
          } else if (raw.mechanism === "SCRAM-SHA-512") {
            socket.write(token(raw.step === 0 ? "r=abcdef,s=c2FsdA==,i=4096" : "v=proof"));
            if (++raw.step === 2) raw = undefined;
          } else {
            socket.write(token(`gss-reply-${raw.step++}`));
          }
          continue;
        }
        const h = peekRequestHeader(f);
        seen.push(`request ${h.apiKey} v${h.apiVersion} corr ${h.correlationId}`);
        if (h.apiKey === SASL_HANDSHAKE) {
          const req = decodeRequest(f);
          if (req.apiKey !== SASL_HANDSHAKE) throw new Error("unreachable");
          raw = { mechanism: req.body.mechanism, step: 0 };
          socket.write(handshakeAnswer(0, h.correlationId));
        } else if (h.apiKey === API_VERSIONS) {
          socket.write(
            encodeResponse(API_VERSIONS, 0, h.correlationId, {
              errorCode: 0,
              apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
              throttleTimeMs: 0,
            } as never),
          );
        } else socket.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen({ host: "127.0.0.1", port: 0 }, () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const setup = async () => proxyInFront(await startSaslBroker());

/** A v0 handshake then `tokens`, one at a time (each waits for its answer), as kafka-python does. */
async function authenticate(address: string, mechanism: string, tokens: string[]) {
  const c = await rawClient(address);
  c.send(handshake(0, mechanism, 7));
  await c.waitFor(1);
  for (const [i, t] of tokens.entries()) {
    c.send(token(t));
    await c.waitFor(2 + i);
  }
  return c;
}

test("through the proxy: PLAIN raw tokens after a v0 handshake are relayed, then requests are parsed again", async () => {
  const s = await setup();
  try {
    const c = await authenticate(s.proxy.bootstrap, "PLAIN", ["\0alice\0secret"]);
    assert.equal(decodeResponse(SASL_HANDSHAKE, 0, c.responses[0]!).correlationId, 7);
    assert.equal(c.responses[1]!.length, 0, "PLAIN success is an empty raw token");
    c.send(encodeRequest(API_VERSIONS, 0, 42, "t", {}));
    const r = await c.waitFor(3);
    assert.equal(decodeResponse(API_VERSIONS, 0, r[2]!).correlationId, 42);
    const seen = s.broker.received[0]!;
    assert.equal(seen[1], "token \0alice\0secret");
    // The proxy parsed the request after the token: it went upstream under the proxy's own id.
    assert.match(seen[2]!, /^request 18 v0 corr \d+$/);
    assert.ok(!s.events.some((e) => e.type === "malformed" || e.type === "warning"));
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("through the proxy: SCRAM's two round trips of raw tokens are relayed in order", async () => {
  const s = await setup();
  try {
    const c = await authenticate(s.proxy.bootstrap, "SCRAM-SHA-512", ["n,,n=alice,r=abc", "c=biws,p=x"]);
    assert.deepEqual(
      c.responses.slice(1).map((b) => b.toString()),
      ["r=abcdef,s=c2FsdA==,i=4096", "v=proof"],
    );
    c.send(encodeRequest(API_VERSIONS, 0, 5, "t", {}));
    assert.equal(decodeResponse(API_VERSIONS, 0, (await c.waitFor(4))[3]!).correlationId, 5);
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("through the proxy: a wrong PLAIN password closes the client's connection (nothing hangs)", async () => {
  const s = await setup();
  try {
    const c = await rawClient(s.proxy.bootstrap);
    c.send(handshake(0, "PLAIN"));
    await c.waitFor(1);
    c.send(token("\0alice\0wrong"));
    await c.closed;
    assert.equal(c.responses.length, 1);
  } finally {
    await s.close();
  }
});

test("through the proxy: an oversized raw token closes that connection as malformed; others go on", async () => {
  const s = await setup();
  try {
    const bad = await rawClient(s.proxy.bootstrap);
    bad.send(handshake(0, "PLAIN"));
    await bad.waitFor(1);
    bad.send(token(Buffer.alloc(MAX_SASL_TOKEN_BYTES + 10, 1)));
    await bad.closed;
    const m = s.events.find((e) => e.type === "malformed");
    assert.ok(m && m.type === "malformed" && m.from === "client" && /PLAIN SASL token/.test(m.reason));
    const good = await authenticate(s.proxy.bootstrap, "PLAIN", ["\0alice\0secret"]);
    assert.equal(good.responses[1]!.length, 0);
    good.socket.destroy();
  } finally {
    await s.close();
  }
});

test("through the proxy: a negative raw token size closes that connection as malformed", async () => {
  const s = await setup();
  try {
    const bad = await rawClient(s.proxy.bootstrap);
    bad.send(handshake(0, "SCRAM-SHA-512"));
    await bad.waitFor(1);
    bad.send(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]));
    await bad.closed;
    assert.ok(s.events.some((e) => e.type === "malformed" && /frame size -16/.test(e.reason)));
  } finally {
    await s.close();
  }
});

test("through the proxy: GSSAPI after a v0 handshake is relayed unread for the rest of the connection, with a warning", async () => {
  const s = await setup();
  try {
    const c = await authenticate(s.proxy.bootstrap, "GSSAPI", ["gss-1", "gss-2", "gss-3"]);
    assert.deepEqual(
      c.responses.slice(1).map((b) => b.toString()),
      ["gss-reply-0", "gss-reply-1", "gss-reply-2"],
    );
    const w = s.events.find((e) => e.type === "warning");
    assert.ok(w && w.type === "warning" && /GSSAPI/.test(w.message) && w.connection);
    assert.deepEqual(s.broker.received[0]!.slice(1), ["token gss-1", "token gss-2", "token gss-3"]);
  } finally {
    await s.close();
  }
});
