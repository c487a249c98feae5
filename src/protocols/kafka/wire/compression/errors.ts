// The one error every decompressor throws. It extends KafkaDecodeError so that callers which already
// treat unreadable records as "cannot say" (key rules, the broker's timestamp index) keep doing so.
import { KafkaDecodeError } from "../buffers.js";

export type DecompressionFailure = "too-large" | "corrupt" | "unknown-codec";

export class DecompressionError extends KafkaDecodeError {
  constructor(
    /** "gzip", "snappy", "lz4", "zstd" or "codec N" for an attribute value Kafka does not define. */
    readonly codec: string,
    /** too-large: the size guard refused it; corrupt: the bytes are not valid for the codec. */
    readonly failure: DecompressionFailure,
    message: string,
  ) {
    super(`${codec} records: ${message}`);
    this.name = "DecompressionError";
  }
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const) {
    if (n >= size) return `${(n / size).toFixed(n % size === 0 ? 0 : 1)} ${unit}`;
  }
  return `${n} bytes`;
}

/** Throws the size guard's error when `bound` (a size the output may reach) passes `limit`. */
export function checkBound(codec: string, bound: number, limit: number): void {
  if (bound > limit) {
    throw new DecompressionError(
      codec,
      "too-large",
      `would take up to ${formatBytes(bound)} to decompress, more than the ${formatBytes(limit)} limit; not decompressed`,
    );
  }
}

/** Wraps a library's own error (a bad bitstream) into a DecompressionError naming the codec. */
export function corrupt(codec: string, err: unknown): DecompressionError {
  if (err instanceof DecompressionError) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new DecompressionError(codec, "corrupt", `not a valid ${codec} stream (${why})`);
}
