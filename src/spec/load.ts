// Loads a .star spec: the Starlark worker executes it and registers everything with a SpecBuilder.
import type { SpecBuilder } from "../core/builder.js";
import { StarlarkHost } from "./host.js";

/** Loading a spec normally takes milliseconds; past this, its top level is taken to loop. */
export const DEFAULT_LOAD_TIMEOUT_MS = 60_000;

export async function loadStarlarkSpec(
  file: string,
  options: { timeoutMs?: number } = {},
): Promise<SpecBuilder> {
  return new StarlarkHost(file, { loadTimeoutMs: options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS }).load();
}
