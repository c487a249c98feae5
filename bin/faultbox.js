#!/usr/bin/env node
// The faultbox command. It runs from a bundle of its sources (plain JavaScript, built on first use and
// rebuilt when a source changes: bin/bundle.js), so there is no build step to forget and no
// transpiling at start. Through tsx, from the TypeScript sources, it runs instead:
// - with FAULTBOX_NO_BUNDLE=1, or when no bundle can be built (a read-only install);
// - when a TypeScript or JavaScript spec may be involved (an argument ending in .ts, .mts, .js, ...,
//   and `replay`, whose bundle may hold one): such a spec imports "faultbox", which resolves to the
//   sources, and the engine that runs it must be that same copy of the modules.
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [command, ...rest] = process.argv.slice(2);
const mayLoadScript = command === "replay" || rest.some((a) => /\.[cm]?[jt]s$/i.test(a));
const dir = command === "proxy" || !mayLoadScript ? (await import("./bundle.js")).bundleDir(root) : undefined;
if (dir && command === "proxy") {
  const { run } = await import(pathToFileURL(join(dir, "proxy.js")).href);
  process.exitCode = await run(rest);
} else if (dir) {
  await import(pathToFileURL(join(dir, "cli.js")).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
}
