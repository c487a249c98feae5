// Decompression of record-batch payloads (the bytes after a v2 batch's 61-byte header) for every codec
// Kafka defines, each behind a size guard: a payload that would decompress past the limit is refused
// with a DecompressionError before (or, for gzip, while) it is inflated, so one hostile or broken
// batch cannot exhaust the memory of the process reading it. Nothing here compresses: faultbox relays
// and stores the producer's bytes as they are.
import { DecompressionError } from "./errors.js";
import { gunzipRecords } from "./gzip.js";
import { unlz4Records } from "./lz4.js";
import { unsnappyRecords } from "./snappy.js";
import { unzstdRecords } from "./zstd.js";

export { DecompressionError, type DecompressionFailure } from "./errors.js";

/** The codec in a batch's attributes (bits 0-2). */
export const enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/**
 * The default ceiling on one batch's decompressed records: far above what producers write (the Java
 * client closes a batch at `batch.size`, 16 KiB by default, of compressed bytes; requests are capped
 * at 1 MiB by `max.request.size`) and far below what would hurt a process.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export const compressionName = (codec: number): string =>
  ["none", "gzip", "snappy", "lz4", "zstd"][codec] ?? `codec ${codec}`;

/**
 * The uncompressed records section of a batch whose attributes name `codec`. Throws DecompressionError
 * when the codec is unknown, the bytes are not valid for it, or the output would pass `maxBytes`.
 */
export function decompressRecords(
  codec: number,
  payload: Buffer,
  maxBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Buffer {
  switch (codec) {
    case Compression.None:
      return payload;
    case Compression.Gzip:
      return gunzipRecords(payload, maxBytes);
    case Compression.Snappy:
      return unsnappyRecords(payload, maxBytes);
    case Compression.Lz4:
      return unlz4Records(payload, maxBytes);
    case Compression.Zstd:
      return unzstdRecords(payload, maxBytes);
    default:
      throw new DecompressionError(
        compressionName(codec),
        "unknown-codec",
        "Kafka defines codecs 0 to 4 only; the records cannot be read",
      );
  }
}
