// The proxy times each request it answers (for the report's latency and throughput plots): arrival to
// the response leaving, with the request's API and client id; a request still waiting when the
// connection closes is reported without a latency.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RequestTiming } from "../../src/protocols/kafka/proxy/index.js";
import { encodeRequest } from "../../src/protocols/kafka/wire/index.js";
import { startFakeBroker } from "./fake-broker.js";
import { rawClient } from "./raw-client.js";
import { proxyInFront } from "./proxy-in-front.js";

const heartbeat = (corr: number, member: string) =>
  encodeRequest(12, 4, corr, "app-1", {
    groupId: "g",
    generationId: 1,
    memberId: member,
    groupInstanceId: null,
  });

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting: ${what}`);
}

test("each answered request is timed with its API and client id; one cut off by a close has latency -1", async () => {
  const timings: RequestTiming[] = [];
  const s = await proxyInFront(await startFakeBroker(), { onRequest: (r) => timings.push(r) });
  try {
    s.broker.slowMembers.set("slow", 300);
    const c = await rawClient(s.proxy.bootstrap);
    c.send(encodeRequest(18, 3, 1, "app-1", { clientSoftwareName: "x", clientSoftwareVersion: "1" }));
    c.send(heartbeat(2, "slow"));
    await c.waitFor(2);
    assert.deepEqual(
      timings.map((t) => [t.api, t.clientId]),
      [
        ["ApiVersions", "app-1"],
        ["Heartbeat", "app-1"],
      ],
    );
    // The broker holds the slow member's heartbeat 300 ms: the latency covers at least that.
    assert.ok(timings[1]!.latencyMs >= 300, `latency ${timings[1]!.latencyMs}`);
    assert.ok(timings[0]!.startedAt <= timings[1]!.startedAt);

    c.send(heartbeat(3, "slow"));
    await until(
      () => s.broker.seen.filter((x) => x === "12 v4").length === 2,
      "the broker got the heartbeat",
    );
    c.socket.destroy();
    await until(() => timings.length === 3, "the cut-off request was reported");
    assert.deepEqual(
      timings.slice(2).map((t) => [t.api, t.latencyMs]),
      [["Heartbeat", -1]],
    );
  } finally {
    await s.close();
  }
});
