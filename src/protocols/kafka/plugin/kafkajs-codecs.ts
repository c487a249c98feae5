// kafkajs reads only uncompressed and gzip records on its own: a snappy, lz4 or zstd batch makes its
// consumer fail with "... compression not implemented". A service under test may well produce such
// batches, so the consume step registers faultbox's decompressors (wire/compression, with the same
// size guard as the proxy) in kafkajs's process-wide codec table. Steps publish uncompressed, so the
// codecs do not compress.
import { kafkajsModule } from "../../../core/lazy-module.js";
import { Compression, compressionName, decompressRecords } from "../wire/index.js";

function codec(type: Compression) {
  return () => ({
    decompress: async (payload: Buffer): Promise<Buffer> => decompressRecords(type, payload),
    compress: async (): Promise<Buffer> => {
      throw new Error(
        `faultbox's kafkajs clients publish uncompressed; ${compressionName(type)} is read-only`,
      );
    },
  });
}

let registered = false;

/** Lets every kafkajs client of this process read snappy, lz4 and zstd batches. Idempotent. */
export function registerKafkajsCodecs(): void {
  if (registered) return;
  registered = true;
  const { CompressionCodecs, CompressionTypes } = kafkajsModule();
  CompressionCodecs[CompressionTypes.Snappy] = codec(Compression.Snappy);
  CompressionCodecs[CompressionTypes.LZ4] = codec(Compression.Lz4);
  CompressionCodecs[CompressionTypes.ZSTD] = codec(Compression.Zstd);
}
