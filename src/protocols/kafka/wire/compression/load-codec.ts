// Codec libraries are loaded on the first batch that needs them, not when the wire module loads: most
// proxies never decompress anything (only key= rules and the observer read compressed batches), and
// lz4-napi alone (a native library) costs a proxy-only process about 6-9 MiB of memory at start.
// require() keeps the first use synchronous, as the decoders are.
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

/** A getter that requires `name` on first call and returns the same module afterwards. */
export function lazyCodec<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(name) as T);
}
