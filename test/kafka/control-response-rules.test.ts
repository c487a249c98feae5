// The response-side rules through faultbox proxy's control API (its vocabulary comes from the protocol
// registry): a Kafka proxy in front of the scripted broker; a blackhole added over HTTP silences a
// client until it is deleted, which closes that client's connection; throttle takes time= as a duration;
// missing and unknown fields are refused naming the field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { registerProxyProtocols } from "../../src/control/protocols.js";
import { startControlServer } from "../../src/control/server.js";
import { ProxySession } from "../../src/control/session.js";
import { decodeResponse, encodeRequest } from "../../src/protocols/kafka/wire/index.js";
import { httpCall } from "../control/helpers.js";
import { startFakeBroker } from "./fake-broker.js";
import { rawClient } from "./raw-client.js";

const heartbeat = (corr: number, clientId: string) =>
  encodeRequest(12, 4, corr, clientId, {
    groupId: "g",
    generationId: 1,
    memberId: "m",
    groupInstanceId: null,
  });

async function harness() {
  registerProxyProtocols();
  const broker = await startFakeBroker();
  const session = await ProxySession.start({
    seed: 1n,
    proxies: [
      {
        name: "bus",
        protocol: "kafka",
        upstream: { host: "127.0.0.1", port: broker.port },
        listen: { host: "127.0.0.1", port: 0 },
      },
    ],
  });
  const control = await startControlServer(session, { host: "127.0.0.1", port: 0 });
  return {
    bootstrap: session.proxy("bus").listen,
    call: (method: string, path: string, body?: unknown) =>
      httpCall(control.address.port, method, path, body),
    async close() {
      await control.close();
      await session.close();
      await broker.close();
    },
  };
}

test("control API: a blackhole added over HTTP silences one client until it is deleted, which closes its connection", async () => {
  const h = await harness();
  try {
    const added = await h.call("POST", "/proxies/bus/rules", {
      action: "blackhole",
      client_id: "consumer-2",
    });
    assert.equal(added.status, 201, added.text);
    const { id } = added.json as { id: number };
    const silenced = await rawClient(h.bootstrap);
    const other = await rawClient(h.bootstrap);
    silenced.send(heartbeat(1, "consumer-2"));
    other.send(heartbeat(2, "consumer-1"));
    await other.waitFor(1);
    // The silenced client's request is counted once the proxy has read it (another connection).
    let counts: { matched: number; fired: number } = { matched: 0, fired: 0 };
    for (let i = 0; i < 200 && counts.fired === 0; i++) {
      counts = (await h.call("GET", `/proxies/bus/rules/${id}`)).json as typeof counts;
      if (counts.fired === 0) await new Promise((r) => setTimeout(r, 25));
    }
    assert.deepEqual([counts.matched, counts.fired], [1, 1]);
    assert.equal(silenced.responses.length, 0);
    assert.ok(!silenced.socket.destroyed, "silent, not closed");
    assert.equal((await h.call("DELETE", `/proxies/bus/rules/${id}`)).status, 200);
    await silenced.closed;
    assert.ok(!other.socket.destroyed);
    other.socket.destroy();
  } finally {
    await h.close();
  }
});

test("control API: throttle(time=) and delay_response(delay=) take durations; a missing or unknown field is refused by name", async () => {
  const h = await harness();
  try {
    const added = await h.call("POST", "/proxies/bus/rules", {
      action: "throttle",
      api: "heartbeat",
      time: "250ms",
    });
    assert.equal(added.status, 201, added.text);
    const c = await rawClient(h.bootstrap);
    c.send(heartbeat(1, "any"));
    const [answer] = await c.waitFor(1);
    assert.equal(decodeResponse(12, 4, answer!).body.throttleTimeMs, 250);
    c.socket.destroy();

    const missing = await h.call("POST", "/proxies/bus/rules", { action: "delay_response", topic: "t" });
    assert.equal(missing.status, 400);
    assert.match((missing.json as { error: string }).error, /delay: required for delay_response rules/);
    const unknown = await h.call("POST", "/proxies/bus/rules", { action: "lose_response", tme: 1 });
    assert.equal(unknown.status, 400);
    assert.match(
      (unknown.json as { error: string }).error,
      /tme: unknown field for a kafka lose_response rule; valid: .*client_id/,
    );
    const bad = await h.call("POST", "/proxies/bus/rules", { action: "throttle", time: "0s" });
    assert.equal(bad.status, 400);
    assert.match((bad.json as { error: string }).error, /time= must be from 1ms/);
    const held = await h.call("POST", "/proxies/bus/rules", { action: "delay_response", delay: "1s" });
    assert.equal(held.status, 201, held.text);
  } finally {
    await h.close();
  }
});
