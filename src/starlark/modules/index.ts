// Built-in modules bound by `import NAME` (dialect extension) and loadable as "json.star" etc. in tests.
import type { Value } from "../values.js";
import { jsonModule } from "./json.js";
import { mathModule } from "./math.js";
import { timeModule } from "./time.js";

let cached: Map<string, Value> | undefined;

export function builtinModules(): Map<string, Value> {
  cached ??= new Map<string, Value>([
    ["json", jsonModule()],
    ["math", mathModule()],
    ["time", timeModule()],
  ]);
  return cached;
}
