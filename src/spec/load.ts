// Loads a .star spec: the Starlark worker executes it and registers everything with a SpecBuilder.
import type { SpecBuilder } from "../core/builder.js";
import { DEFAULT_LOAD_TIMEOUT_MS } from "../core/engine.js";
import { StarlarkHost } from "./host.js";

export async function loadStarlarkSpec(
  file: string,
  options: { timeoutMs?: number } = {},
): Promise<SpecBuilder> {
  return new StarlarkHost(file, { loadTimeoutMs: options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS }).load();
}
