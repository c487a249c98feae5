// What a key= rule costs per batch: readRecords (decompressing a copy) on a 16 KiB-of-records batch
// (the Java client's default batch.size) and on a 1 MiB one, in every codec and layout of the tests'
// fixtures. Prints microseconds per batch and MB/s of decompressed records; asserts nothing.
//   node --import tsx bench/kafka-proxy/read-keys.ts [--seconds S]
import { readRecords } from "../../src/protocols/kafka/wire/index.js";
import { COMPRESSORS, compressedBatch } from "../../test/kafka/compressed-batch.js";

const i = process.argv.indexOf("--seconds");
const SECONDS = i > 0 ? Number(process.argv[i + 1]) : 0.5;

function records(totalBytes: number) {
  const n = Math.max(1, Math.round(totalBytes / 230));
  return Array.from({ length: n }, (_, k) => ({
    key: `order-${k}`,
    value: JSON.stringify({ id: k, status: k % 3 ? "created" : "paid", note: "x".repeat(160) }),
  }));
}

console.log("| codec / layout | records | batch bytes | µs per batch | MB/s |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const size of [16 << 10, 1 << 20]) {
  const recs = records(size);
  const plainBytes = compressedBatch(recs, 0, (b) => b).length;
  for (const c of [{ name: "none", codec: 0, compress: (b: Buffer) => b }, ...COMPRESSORS]) {
    const batch = compressedBatch(recs, c.codec, c.compress);
    let runs = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < SECONDS * 1000) {
      readRecords(batch);
      runs++;
    }
    const us = ((performance.now() - t0) * 1000) / runs;
    console.log(
      `| ${c.name} | ${recs.length} | ${batch.length} | ${us.toFixed(0)} | ${(plainBytes / us).toFixed(0)} |`,
    );
  }
}
