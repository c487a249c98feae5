// Cut-through relay of large frames: requests and responses above 1 MiB flow through the proxy as they
// arrive, responses still leave in request order, Fetch v16+ node endpoints at the end of a streamed
// response are rewritten without changing its length, and a frame that breaks mid-stream closes only
// its connection with an event. No assertion depends on timing: the tests wait for conditions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { startKafkaProxy, type KafkaProxyEvent } from "../../src/protocols/kafka/proxy/index.js";
import { ProxyConnection, type ProxyShared } from "../../src/protocols/kafka/proxy/connection.js";
import { SequenceTranslator } from "../../src/protocols/kafka/proxy/sequences.js";
import {
  fetchHeadWalk,
  padTail,
  rewriteFetchFrame,
  rewriteFetchTail,
} from "../../src/protocols/kafka/proxy/fetch-tail.js";
import { delay, drop } from "../../src/protocols/kafka/rules/index.js";
import {
  FrameReader,
  FrameSplitter,
  Reader,
  skimBuffer,
  decodeResponse,
  decodeTaggedSection,
  encodeRecordBatch,
  encodeRequest,
  encodeResponse,
  apiSchema,
  type FetchResponse,
} from "../../src/protocols/kafka/wire/index.js";
import { startFakeBroker } from "./fake-broker.js";
import { rawClient } from "./raw-client.js";
import { prng } from "./sample-messages.js";
import { HeldRequests } from "../../src/protocols/held-requests.js";

const MiB = 1024 * 1024;

/** Waits for a condition (checked every few ms); fails with `what` if it never holds. */
async function until(cond: () => boolean, what: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A broker stand-in that records every byte it receives and writes what the test tells it to. */
async function scriptedUpstream() {
  const received: Buffer[] = [];
  let bytes = 0;
  let socket: Socket | undefined;
  const server: Server = createServer((s) => {
    socket = s;
    s.on("data", (c) => {
      received.push(c);
      bytes += c.length;
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    get bytes() {
      return bytes;
    },
    all: () => Buffer.concat(received),
    frames: () => new FrameReader().push(Buffer.concat(received)),
    write: (b: Buffer) => socket!.write(b),
    get socket() {
      return socket;
    },
    close: () =>
      new Promise<void>((r) => {
        socket?.destroy();
        server.close(() => r());
      }),
  };
}

async function connected(port: number): Promise<Socket> {
  const s = connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    s.once("connect", resolve);
    s.once("error", reject);
  });
  s.on("error", () => {});
  return s;
}

const produceRequest = (corr: number, records: Buffer, acks = 1) =>
  encodeRequest(0, 9, corr, "big", {
    transactionalId: null,
    acks,
    timeoutMs: 1000,
    topicData: [{ name: "t", partitionData: [{ index: 0, records }] }],
  });

const fetchRequest = (corr: number) =>
  encodeRequest(1, 16, corr, "c", {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 100 * MiB,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topicId: "AAAAAAAAAAAAAAAAAAAAAQ",
        partitions: [
          {
            partition: 0,
            fetchOffset: 0n,
            partitionMaxBytes: 100 * MiB,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  } as never);

function fetchResponse(
  corr: number,
  records: Buffer,
  endpoints: { nodeId: number; host: string; port: number }[],
) {
  const body: FetchResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topicId: "AAAAAAAAAAAAAAAAAAAAAQ",
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 10n,
            lastStableOffset: 10n,
            logStartOffset: 0n,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records,
          },
        ],
      },
    ],
    nodeEndpoints: endpoints.map((e) => ({ ...e, rack: null })),
  } as never;
  return encodeResponse(1, 16, corr, body);
}

test("FrameSplitter: frames above the threshold come as start/parts/end whose bytes equal the frame, however the stream is cut", () => {
  const rand = prng(7);
  const frames = [3000, 10, 70000, 0, 250000, 100].map((n) => {
    const f = Buffer.alloc(4 + n);
    f.writeInt32BE(n, 0);
    for (let i = 4; i < f.length; i++) f[i] = Math.floor(rand() * 256);
    return f;
  });
  const stream = Buffer.concat(frames);
  for (let round = 0; round < 20; round++) {
    const splitter = new FrameSplitter(65536, 1024);
    const got: Buffer[] = [];
    let current: Buffer[] | null = null;
    let streamed = 0;
    for (let at = 0; at < stream.length;) {
      const n = 1 + Math.floor(rand() * 40000);
      for (const e of splitter.push(stream.subarray(at, at + n))) {
        if (e.kind === "frame") got.push(Buffer.from(e.frame));
        else if (e.kind === "start") {
          assert.equal(e.head.length, 1024);
          current = [Buffer.from(e.head)];
          streamed++;
        } else if (e.kind === "part") current!.push(Buffer.from(e.bytes));
        else {
          got.push(Buffer.concat(current!));
          current = null;
        }
      }
      at += n;
    }
    assert.equal(streamed, 2, "the two frames above 64 KiB were streamed");
    assert.deepEqual(
      got.map((g) => g.toString("hex")),
      frames.map((f) => f.subarray(4).toString("hex")),
    );
  }
  assert.throws(() => new FrameSplitter().push(Buffer.from([0xff, 0xff, 0xff, 0xfb])), /frame size -5/);
});

test("a 64 MiB produce reaches the broker before the client has sent its last bytes, intact but for the correlation id", async () => {
  const up = await scriptedUpstream();
  const proxy = await startKafkaProxy({ upstream: `127.0.0.1:${up.port}` });
  const client = await connected(Number(proxy.bootstrap.split(":").pop()));
  try {
    const frame = produceRequest(77, Buffer.alloc(64 * MiB, 0x5a));
    client.write(frame.subarray(0, 2 * MiB));
    await until(() => up.bytes >= MiB, "the broker received the first MiB");
    assert.ok(up.bytes < frame.length, "the client has not sent the rest yet");
    client.write(frame.subarray(2 * MiB));
    await until(() => up.bytes === frame.length, "the broker received the whole request");
    const got = up.all();
    const upstreamCorr = got.readInt32BE(8);
    got.writeInt32BE(77, 8);
    assert.ok(got.equals(frame), "bytes relayed unchanged except the correlation id");
    assert.equal(proxy.stats.requestsStreamed, 1);

    up.write(
      encodeResponse(0, 9, upstreamCorr, {
        responses: [
          {
            name: "t",
            partitionResponses: [
              {
                index: 0,
                errorCode: 0,
                baseOffset: 5n,
                logAppendTimeMs: -1n,
                logStartOffset: 0n,
                recordErrors: [],
                errorMessage: null,
              },
            ],
          },
        ],
        throttleTimeMs: 0,
      }),
    );
    const frames = new FrameReader();
    const responses: Buffer[] = [];
    client.on("data", (c) => responses.push(...frames.push(c)));
    await until(() => responses.length === 1, "the produce response");
    assert.equal(decodeResponse(0, 9, responses[0]!).correlationId, 77);
  } finally {
    client.destroy();
    await proxy.close();
    await up.close();
  }
});

test("a streamed response behind a slower earlier response waits for it; node endpoints at its end are rewritten to the same length", async () => {
  const up = await scriptedUpstream();
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const events: KafkaProxyEvent[] = [];
  const shared: ProxyShared = {
    rules: () => [],
    advertise: async () => {
      await gate;
      return { host: "127.0.0.1", port: 7777 };
    },
    learnTopicIds: () => {},
    topicName: () => undefined,
    resolveTopicIds: async () => {},
    sequences: new SequenceTranslator(),
    offsetHints: new Map(),
    duplicated: new Set(),
    droppedPlain: new Set(),
    maxDecompressedBytes: 64 * MiB,
    held: new HeldRequests(),
    emit: (e) => events.push(e),
    stats: {
      connectionsTotal: 1,
      connectionsActive: 1,
      requests: 0,
      responses: 0,
      faults: 0,
      bytesFromClients: 0,
      bytesFromBrokers: 0,
      requestsStreamed: 0,
      responsesStreamed: 0,
      requestsSwallowed: 0,
      responsesLost: 0,
      requestVersions: {},
    },
  };
  const front = createServer();
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  const accepted = new Promise<Socket>((r) => front.once("connection", r));
  const client = await connected((front.address() as AddressInfo).port);
  const proxySide = await accepted;
  const upstream = await connected(up.port);
  const conn = new ProxyConnection("c1", proxySide, upstream, shared, "bootstrap", `127.0.0.1:${up.port}`);
  const responses: Buffer[] = [];
  const frames = new FrameReader();
  client.on("data", (c) => responses.push(...frames.push(c).map((f) => Buffer.from(f))));
  try {
    client.write(
      encodeRequest(3, 12, 11, "c", {
        topics: null,
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      }),
    );
    client.write(fetchRequest(12));
    await until(() => up.frames().length === 2, "both requests forwarded");
    const [metaReq, fetchReq] = up.frames();
    up.write(
      encodeResponse(3, 12, metaReq!.readInt32BE(4), {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 1, host: "broker-one.example", port: 9092, rack: null }],
        clusterId: "x",
        controllerId: 1,
        topics: [],
      } as never),
    );
    const records = Buffer.alloc(24 * MiB);
    for (let i = 0; i < records.length; i += 4096) records.writeUInt32BE(i, i);
    const original = fetchResponse(fetchReq!.readInt32BE(4), records, [
      { nodeId: 1, host: "broker-one.example", port: 9092 },
    ]);
    up.write(original);

    await until(() => upstream.isPaused(), "the proxy stops reading the broker while the response is held");
    assert.equal(proxySide.bytesWritten, 0, "nothing released before the Metadata response");
    assert.ok(shared.stats.bytesFromBrokers < original.length, "the held response is not read whole");

    open();
    await until(() => responses.length === 2, "both responses");
    const meta = decodeResponse(3, 12, responses[0]!);
    assert.equal(meta.correlationId, 11);
    assert.deepEqual(
      meta.body.brokers.map((b) => [b.host, b.port]),
      [["127.0.0.1", 7777]],
    );
    assert.equal(responses[1]!.length, original.length - 4, "the streamed response keeps its length");
    const fetched = decodeResponse(1, 16, responses[1]!);
    assert.equal(fetched.correlationId, 12);
    assert.ok(
      Buffer.from(fetched.body.responses[0]!.partitions[0]!.records!).equals(records),
      "records intact",
    );
    assert.deepEqual(
      fetched.body.nodeEndpoints?.map((e) => [e.nodeId, e.host, e.port]),
      [[1, "127.0.0.1", 7777]],
    );
    assert.deepEqual(
      events.filter((e) => e.type === "malformed" || e.type === "warning"),
      [],
    );
  } finally {
    conn.close();
    client.destroy();
    front.close();
    await up.close();
  }
});

test("a response that breaks mid-stream closes its connection with a malformed event", async () => {
  const up = await scriptedUpstream();
  const events: KafkaProxyEvent[] = [];
  const proxy = await startKafkaProxy({ upstream: `127.0.0.1:${up.port}`, onEvent: (e) => events.push(e) });
  const c = await rawClient(proxy.bootstrap);
  try {
    c.send(fetchRequest(5));
    await until(() => up.frames().length === 1, "the fetch forwarded");
    const full = fetchResponse(up.frames()[0]!.readInt32BE(4), Buffer.alloc(3 * MiB), []);
    // The frame claims 2 MiB but its records field claims 3: the skim finds it past the frame's end.
    const cut = full.subarray(0, 2 * MiB + 4);
    cut.writeInt32BE(2 * MiB, 0);
    up.write(cut);
    await c.closed;
    const m = events.find((e) => e.type === "malformed");
    assert.ok(
      m && m.type === "malformed" && m.from === "upstream" && /records/.test(m.reason),
      JSON.stringify(m),
    );
  } finally {
    await proxy.close();
    await up.close();
  }
});

test("a bad frame size right after a streamed request closes the client's connection with an event", async () => {
  const up = await scriptedUpstream();
  const events: KafkaProxyEvent[] = [];
  const proxy = await startKafkaProxy({ upstream: `127.0.0.1:${up.port}`, onEvent: (e) => events.push(e) });
  const c = await rawClient(proxy.bootstrap);
  try {
    const frame = produceRequest(1, Buffer.alloc(3 * MiB, 1));
    c.send(frame);
    await until(() => up.bytes === frame.length, "the request relayed");
    c.send(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await c.closed;
    const m = events.find((e) => e.type === "malformed");
    assert.ok(
      m && m.type === "malformed" && m.from === "client" && /frame size/.test(m.reason),
      JSON.stringify(m),
    );
  } finally {
    await proxy.close();
    await up.close();
  }
});

test("large produce: acks=0 gets no slot and the next request is answered; with a drop rule it is gathered and dropped", async () => {
  const broker = await startFakeBroker();
  const events: KafkaProxyEvent[] = [];
  const proxy = await startKafkaProxy({
    upstream: `127.0.0.1:${broker.port}`,
    onEvent: (e) => events.push(e),
  });
  try {
    const big = encodeRecordBatch([{ key: "k", value: Buffer.alloc(2 * MiB, 3) }], {
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
    });
    const c = await rawClient(proxy.bootstrap);
    c.send(produceRequest(1, big, 0));
    c.send(encodeRequest(18, 3, 2, "t", { clientSoftwareName: "x", clientSoftwareVersion: "1" }));
    const [first] = await c.waitFor(1);
    assert.equal(decodeResponse(18, 3, first!).correlationId, 2);
    assert.equal(broker.stored.get("t")?.length, 1, "the acks=0 batch was stored");

    proxy.addRule(drop({ topic: "t" }));
    c.send(produceRequest(3, big, -1));
    const [, ack] = await c.waitFor(2);
    const r = decodeResponse(0, 9, ack!);
    assert.equal(r.correlationId, 3);
    assert.equal(r.body.responses[0]!.partitionResponses[0]!.errorCode, 0);
    assert.equal(broker.stored.get("t")?.length, 1, "the dropped batch was not stored");
    assert.ok(events.some((e) => e.type === "fault" && e.kind === "drop"));
  } finally {
    await proxy.close();
    await broker.close();
  }
});

test("Fetch v16+ tails: whole frames are skimmed, not re-encoded; a streamed tail keeps its length by padding or by leaving out endpoints", async () => {
  const advertise = async () => ({ host: "127.0.0.1", port: 7777 });
  const records = Buffer.alloc(1000, 9);
  assert.equal(await rewriteFetchFrame(fetchResponse(4, records, []).subarray(4), 16, advertise), null);
  const rewritten = await rewriteFetchFrame(
    fetchResponse(4, records, [{ nodeId: 2, host: "b2", port: 1 }]).subarray(4),
    16,
    advertise,
  );
  const body = decodeResponse(1, 16, rewritten!.subarray(4)).body;
  assert.deepEqual(
    body.nodeEndpoints?.map((e) => [e.host, e.port]),
    [["127.0.0.1", 7777]],
  );
  assert.ok(Buffer.from(body.responses[0]!.partitions[0]!.records!).equals(records));

  const fields = apiSchema(1)!.response;
  const decode = (tail: Buffer) => {
    const r = new Reader(tail);
    const o = decodeTaggedSection(r, fields, 16);
    assert.equal(r.remaining, 0);
    return o;
  };
  for (const target of [3, 4, 5, 6, 40, 130, 131, 132, 300]) {
    const padded = padTail({}, 16, target);
    assert.equal(padded.length, target, `padded to ${target}`);
    assert.equal(decode(padded).nodeEndpoints, undefined);
  }
  // The proxy's address is longer than the broker's: left out, same length, a warning.
  const short = fetchResponse(4, records, [{ nodeId: 2, host: "b", port: 1 }]);
  const tail = short.subarray(4 + skimBuffer(short.subarray(4), fetchHeadWalk(16)));
  assert.equal(
    (decode(tail).nodeEndpoints as unknown[] | undefined)?.length,
    1,
    "the skim stops at the tagged section",
  );
  const out = await rewriteFetchTail(tail, 16, advertise, true);
  assert.equal(out!.tail.length, tail.length);
  assert.match(out!.warning!, /left out/);
  assert.equal(decode(out!.tail).nodeEndpoints, undefined);
});

test("a large request behind a held (delayed) request waits for it: the broker sees them in the client's order", async () => {
  const up = await scriptedUpstream();
  const proxy = await startKafkaProxy({ upstream: `127.0.0.1:${up.port}` });
  proxy.addRule(delay({ topic: "t", delay: "300ms" }));
  const c = await rawClient(proxy.bootstrap);
  try {
    const held = produceRequest(1, Buffer.alloc(100, 1));
    // An API the codec does not know is relayed without inspection, so it streams even with rules.
    const big = Buffer.alloc(4 + 3 * MiB, 2);
    big.writeInt32BE(3 * MiB, 0);
    big.writeInt16BE(1000, 4); // api key
    big.writeInt16BE(0, 6); // version
    big.writeInt32BE(2, 8); // correlation id
    big.writeInt16BE(-1, 12); // null client id
    c.send(held);
    c.send(big);
    await until(() => up.bytes === held.length + big.length, "both requests relayed");
    const frames = up.frames();
    assert.deepEqual(
      frames.map((f) => f.readInt16BE(0)),
      [0, 1000],
      "the held produce first, then the large request",
    );
    assert.equal(frames[1]!.length, 3 * MiB);
    assert.equal(proxy.stats.requestsStreamed, 1);
  } finally {
    c.socket.destroy();
    await proxy.close();
    await up.close();
  }
});

test("a 300 KiB fetch response (below 1 MiB) is relayed as it arrives: the client has its first bytes before the broker sent the rest", async () => {
  const up = await scriptedUpstream();
  const proxy = await startKafkaProxy({ upstream: `127.0.0.1:${up.port}` });
  const client = await connected(Number(proxy.bootstrap.split(":")[1]));
  try {
    client.write(fetchRequest(21));
    await until(() => up.frames().length === 1, "the fetch request reached the broker");
    const records = Buffer.alloc(300 * 1024);
    for (let i = 0; i < records.length; i += 4096) records.writeUInt32BE(i, i);
    const whole = fetchResponse(up.frames()[0]!.readInt32BE(4), records, []);
    let received = 0;
    const chunks: Buffer[] = [];
    client.on("data", (c: Buffer) => {
      chunks.push(c);
      received += c.length;
    });
    // The broker sends the first 200 KiB and stops: a proxy that gathers whole frames would send nothing.
    up.write(whole.subarray(0, 200 * 1024));
    await until(() => received >= 128 * 1024, "the client got the response's first bytes");
    assert.equal(proxy.stats.responsesStreamed, 1);
    up.write(whole.subarray(200 * 1024));
    await until(() => received === whole.length, "the whole response");
    const [frame] = new FrameReader().push(Buffer.concat(chunks));
    const fetched = decodeResponse(1, 16, frame!);
    assert.equal(fetched.correlationId, 21);
    assert.ok(
      Buffer.from(fetched.body.responses[0]!.partitions[0]!.records!).equals(records),
      "records intact",
    );
  } finally {
    client.destroy();
    await proxy.close();
    await up.close();
  }
});
