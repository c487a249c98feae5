// What a broker stores, read straight from it (no proxy, no client library): the codec, the snappy
// layout and the keys of every batch of partition 0. Tests use it to prove that a producer really
// compressed and that the proxy forwarded its bytes without recompressing them.
import assert from "node:assert/strict";
import {
  API_KEYS,
  compressionName,
  readRecords,
  splitBatches,
} from "../../../src/protocols/kafka/wire/index.js";
import { WireConnection } from "../../../src/protocols/kafka/plugin/observer/wire-client.js";

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

export interface Stored {
  codec: string;
  /** For snappy: the Java client's xerial stream or librdkafka's raw block. */
  layout?: "xerial" | "raw";
  keys: string[];
}

/** The codec and keys of every batch stored in partition 0, read straight from the broker. */
export async function storedBatches(bootstrap: string, topic: string): Promise<Stored[]> {
  const [host, port] = bootstrap.split(",")[0]!.split(":");
  const conn = new WireConnection({ host: host!, port: Number(port) });
  try {
    const res = await conn.request(API_KEYS.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: 0n,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 1 << 20,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: "",
    });
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    return splitBatches(p.records ?? Buffer.alloc(0)).batches.map((b) => {
      const codec = compressionName(b.header.compression);
      const xerial = b.bytes.subarray(61, 69).equals(XERIAL_MAGIC);
      return {
        codec,
        ...(codec === "snappy" ? { layout: xerial ? "xerial" : "raw" } : {}),
        keys: readRecords(b.bytes).map((r) => r.key?.toString() ?? ""),
      };
    });
  } finally {
    conn.close();
  }
}
