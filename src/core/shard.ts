// --shard I/N: one machine's share of a suite when CI spreads a large fault matrix over N runners.
// The split is a pure function of the selected tests (sorted by name, as every run orders them), so
// N machines running the same spec with the same --test filter and seed cover each test exactly once,
// and `faultbox merge-reports` can put their JSON results back together in the unsharded order.

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** Parses `I/N` (1 <= I <= N); the error names the flag and what is expected. */
export function parseShard(text: string, flag = "--shard"): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`${flag} must be I/N (this machine's shard, 1-based, of N), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new Error(`${flag} ${text}: N must be at least 1`);
  if (index < 1 || index > count) throw new Error(`${flag} ${text}: I must be between 1 and ${count}`);
  return { index, count };
}

/**
 * The tests of one shard: every N-th test of the sorted list, starting at the I-th. Round robin
 * rather than contiguous blocks, so the cells of one scenario (adjacent by name) spread over the
 * machines instead of all landing on one.
 */
export function pickShard<T>(sortedTests: readonly T[], shard: Shard | undefined): T[] {
  if (!shard || shard.count === 1) return [...sortedTests];
  return sortedTests.filter((_, i) => i % shard.count === shard.index - 1);
}
