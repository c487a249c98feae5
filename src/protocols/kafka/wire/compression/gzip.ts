// gzip (Kafka codec 1) with Node's zlib. zlib stops on its own once the output passes
// maxOutputLength, so a gzip bomb costs at most `limit` bytes and the time to produce them.
import { gunzipSync } from "node:zlib";
import { DecompressionError, corrupt, formatBytes } from "./errors.js";

export function gunzipRecords(payload: Buffer, limit: number): Buffer {
  try {
    return gunzipSync(payload, { maxOutputLength: Math.max(1, limit) });
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new DecompressionError(
        "gzip",
        "too-large",
        `would decompress to more than the ${formatBytes(limit)} limit; decompression stopped there`,
      );
    }
    throw corrupt("gzip", err);
  }
}
