// The start of a frame in the LZ4 and zstd frame formats, which share their skippable frames: magic
// 0x184D2A50 to 0x184D2A5F, a 4-byte little-endian length, then that many bytes to ignore.
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

/**
 * The magic number of the frame at `pos`; for a skippable frame also `next`, where the caller goes on.
 * `bad` builds the codec's error for a payload cut short.
 */
export function frameStart(
  payload: Buffer,
  pos: number,
  bad: (why: string) => Error,
): { magic: number; next?: number } {
  if (pos + 4 > payload.length) throw bad(`${payload.length - pos} stray bytes after a frame`);
  const magic = payload.readUInt32LE(pos);
  if ((magic & SKIPPABLE_MASK) >>> 0 !== SKIPPABLE_MAGIC) return { magic };
  if (pos + 8 > payload.length) throw bad("skippable frame cut short");
  return { magic, next: pos + 8 + payload.readUInt32LE(pos + 4) };
}
