// Seeded randomness: one --seed makes probabilistic faults and generated names reproducible.
// SplitMix64 over BigInt is slow-ish but exact; rules draw at most a few numbers per request.

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** A child generator whose sequence depends only on this seed and the label. */
  fork(label: string): Rng;
  readonly seed: bigint;
}

const MASK = (1n << 64n) - 1n;

function mix(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return z ^ (z >> 31n);
}

function hashLabel(label: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(label, "utf8")) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & MASK;
  return h;
}

export function createRng(seed: bigint | number): Rng {
  const start = BigInt(seed) & MASK;
  let state = start;
  const rng: Rng = {
    seed: start,
    next() {
      state = (state + 0x9e3779b97f4a7c15n) & MASK;
      return Number(mix(state) >> 11n) / 2 ** 53;
    },
    int(n: number) {
      return Math.floor(rng.next() * n);
    },
    fork(label: string) {
      return createRng(mix(start ^ hashLabel(label)));
    },
  };
  return rng;
}

/** A random seed for runs where the user gave none (printed so the run can be replayed). */
export function randomSeed(): bigint {
  return (
    BigInt(Math.floor(Math.random() * 2 ** 31)) * 2n ** 20n + BigInt(Math.floor(Math.random() * 2 ** 20))
  );
}
