#!/usr/bin/env node
// The CLI runs from the TypeScript sources through tsx's loader, so there is no build step to forget.
// `faultbox proxy` runs from a bundle of its own sources instead (bin/proxy-bundle.js), so a
// proxy-only process carries neither tsx nor the engine.
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle =
  process.argv[2] === "proxy" ? (await import("./proxy-bundle.js")).proxyBundle(root) : undefined;
if (bundle) {
  const { run } = await import(pathToFileURL(bundle).href);
  process.exitCode = await run(process.argv.slice(3));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
}
