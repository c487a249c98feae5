// Bundles `faultbox proxy` (src/cli/proxy.ts and what it imports) into plain JavaScript with esbuild,
// the transpiler tsx already brings. Run by proxy-bundle.js in a child process, so the proxy process
// itself never loads esbuild:
//   node bin/build-proxy-bundle.js ROOT OUTDIR
// Writes OUTDIR/proxy.js (npm packages stay imports, resolved from ROOT/node_modules at run time) and
// OUTDIR/inputs.json: the sha256 of every source file bundled, to tell later whether it is current.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const [root, outdir] = process.argv.slice(2);
const result = await build({
  absWorkingDir: root,
  entryPoints: { proxy: join(root, "src", "cli", "proxy.ts") },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  splitting: true,
  packages: "external",
  outdir,
  metafile: true,
  logLevel: "error",
});
const inputs = {};
for (const file of Object.keys(result.metafile.inputs))
  inputs[file] = createHash("sha256")
    .update(readFileSync(join(root, file)))
    .digest("hex");
writeFileSync(join(outdir, "inputs.json"), JSON.stringify({ inputs }, null, 1));
