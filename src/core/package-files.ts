// Files of the faultbox package (package.json, the OpenAPI document) found from wherever this module
// runs: the sources (src/core/) or the bundle the faultbox command runs from (node_modules/.cache/...),
// by walking up to the package.json named "faultbox".
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "faultbox")
          return (root = dir);
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`cannot find the faultbox package above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const packageFile = (relative: string): string => join(packageRoot(), relative);
