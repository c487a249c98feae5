// A tiny scripted Kafka broker for proxy unit tests, built on the wire codec: answers ApiVersions,
// Metadata, FindCoordinator, Heartbeat and Produce; can be told to answer slowly.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import {
  FrameReader,
  decodeRequest,
  encodeResponse,
  peekRequestHeader,
  splitBatches,
  type DecodedRequest,
} from "../../src/protocols/kafka/wire/index.js";

export interface FakeBroker {
  port: number;
  /** Batches stored per topic (the raw batch bytes), in arrival order. */
  stored: Map<string, Buffer[]>;
  /** Requests seen, as "ApiName vN". */
  seen: string[];
  /** Milliseconds to wait before answering Heartbeat requests with this member id. */
  slowMembers: Map<string, number>;
  /** How many of the proxy's duplicate copies to refuse (OUT_OF_ORDER_SEQUENCE_NUMBER, not stored). */
  refuseCopies: number;
  close(): Promise<void>;
}

export async function startFakeBroker(): Promise<FakeBroker> {
  const sockets = new Set<Socket>();
  const broker: FakeBroker = {
    port: 0,
    stored: new Map(),
    seen: [],
    slowMembers: new Map(),
    refuseCopies: 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const frames = new FrameReader();
    // Answers leave in request order even when one is slow, as a real broker's do.
    let chain = Promise.resolve();
    socket.on("data", (chunk) => {
      let got: Buffer[];
      try {
        got = frames.push(chunk);
      } catch {
        return socket.destroy();
      }
      for (const frame of got) {
        let req: DecodedRequest;
        try {
          req = decodeRequest(frame);
        } catch {
          const h = frame.length >= 8 ? peekRequestHeaderSafe(frame) : undefined;
          broker.seen.push(`undecodable ${h?.apiKey}`);
          return socket.destroy();
        }
        broker.seen.push(`${req.apiKey} v${req.apiVersion}`);
        chain = chain.then(async () => {
          const out = await answer(broker, req);
          if (out && !socket.destroyed) socket.write(out);
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  broker.port = (server.address() as AddressInfo).port;
  return broker;
}

function peekRequestHeaderSafe(frame: Buffer) {
  try {
    return peekRequestHeader(frame);
  } catch {
    return undefined;
  }
}

async function answer(broker: FakeBroker, req: DecodedRequest): Promise<Buffer | null> {
  const id = req.header.correlationId;
  const v = req.apiVersion;
  switch (req.apiKey) {
    case 18:
      return encodeResponse(18, v, id, {
        errorCode: 0,
        apiKeys: [
          // Versions newer than the codec knows (a future broker), and an unstable one (OffsetCommit 10).
          { apiKey: 0, minVersion: 3, maxVersion: 14 },
          { apiKey: 1, minVersion: 4, maxVersion: 19 },
          { apiKey: 3, minVersion: 0, maxVersion: 14 },
          { apiKey: 8, minVersion: 2, maxVersion: 10 },
          { apiKey: 12, minVersion: 0, maxVersion: 4 },
          { apiKey: 18, minVersion: 0, maxVersion: 4 },
          { apiKey: 78, minVersion: 0, maxVersion: 1 },
          { apiKey: 1000, minVersion: 0, maxVersion: 7 },
        ],
        throttleTimeMs: 0,
        finalizedFeatures:
          v >= 3 ? [{ name: "transaction.version", maxVersionLevel: 2, minVersionLevel: 2 }] : undefined,
        finalizedFeaturesEpoch: v >= 3 ? 5n : undefined,
      });
    case 3:
      return encodeResponse(3, v, id, {
        throttleTimeMs: 0,
        brokers: [
          { nodeId: 1, host: "127.0.0.1", port: broker.port, rack: null },
          { nodeId: 2, host: "127.0.0.1", port: broker.port, rack: "r2" },
        ],
        clusterId: "fake",
        controllerId: 1,
        topics: (req.body.topics ?? []).map((t) => ({
          errorCode: 0,
          name: t.name ?? (t.topicId === "AAAAAAAAAAAAAAAAAAAAAQ" ? "orders" : null),
          topicId: "AAAAAAAAAAAAAAAAAAAAAQ",
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 2,
              leaderEpoch: 0,
              replicaNodes: [2],
              isrNodes: [2],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: -2147483648,
        })),
      });
    case 10:
      return encodeResponse(10, v, id, {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        nodeId: 2,
        host: "127.0.0.1",
        port: broker.port,
        coordinators: (req.body.coordinatorKeys ?? []).map((key) => ({
          key,
          nodeId: 1,
          host: "127.0.0.1",
          port: broker.port,
          errorCode: 0,
          errorMessage: null,
        })),
      });
    case 1:
      return encodeResponse(1, v, id, {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses: req.body.topics.map((t) => ({
          topic: t.topic,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partition,
            errorCode: 0,
            highWatermark: 0n,
            lastStableOffset: 0n,
            logStartOffset: 0n,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: null,
          })),
        })),
      });
    case 12: {
      const wait = broker.slowMembers.get(req.body.memberId) ?? 0;
      if (wait) await new Promise((r) => setTimeout(r, wait));
      return encodeResponse(12, v, id, { throttleTimeMs: 0, errorCode: 0 });
    }
    case 0: {
      const refuse = req.header.clientId === "faultbox-proxy-duplicate" && broker.refuseCopies > 0;
      if (refuse) broker.refuseCopies--;
      const responses = req.body.topicData.map((t) => ({
        name: t.name,
        topicId: t.topicId, // Produce v13+ names topics by id; this broker knows "orders" by id
        partitionResponses: t.partitionData.map((p) => {
          const topic = t.name ?? (t.topicId === "AAAAAAAAAAAAAAAAAAAAAQ" ? "orders" : `id:${t.topicId}`);
          if (refuse)
            return {
              index: p.index,
              errorCode: 45,
              baseOffset: -1n,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
            };
          const list = broker.stored.get(topic) ?? [];
          const base = BigInt(list.length);
          if (p.records) for (const b of splitBatches(p.records).batches) list.push(Buffer.from(b.bytes));
          broker.stored.set(topic, list);
          return {
            index: p.index,
            errorCode: 0,
            baseOffset: base,
            logAppendTimeMs: -1n,
            logStartOffset: 0n,
            recordErrors: [],
            errorMessage: null,
          };
        }),
      }));
      if (req.body.acks === 0) return null;
      return encodeResponse(0, v, id, { responses, throttleTimeMs: 0 });
    }
    default:
      return null;
  }
}
