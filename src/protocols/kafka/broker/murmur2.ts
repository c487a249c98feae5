// Kafka's default partitioner for keyed records (Java's Utils.murmur2 + toPositive), so that records
// pre-seeded through the embedded broker land where a Java or kafkajs producer would put them.
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= data[base + 2]! << 16;
  if (rest >= 2) h ^= data[base + 1]! << 8;
  if (rest >= 1) {
    h ^= data[base]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Java's default partitioner picks for a non-null key. */
export const partitionForKey = (key: Buffer, partitions: number): number =>
  (murmur2(key) & 0x7fffffff) % partitions;
