// npm packages that only some runs use, required on first use instead of when the command starts:
// kafkajs, pg and yaml together took ~70 ms of every start of the faultbox command (kafkajs ~27, pg ~24
// with the part of Node it pulls in, yaml ~19), and yaml ~24 ms of every Starlark worker's start,
// whether or not the spec talks to Kafka or PostgreSQL or reads YAML. `import type` keeps their types.
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

/** A getter for the package `id`, required the first time it is called. */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(id) as T);
}

export const kafkajsModule = lazyModule<typeof import("kafkajs")>("kafkajs");
export const pgModule = lazyModule<typeof import("pg")>("pg");
export const yamlModule = lazyModule<typeof import("yaml")>("yaml");
