// Bundles the faultbox command (see bundle.js) into plain JavaScript with esbuild, the transpiler tsx
// already brings. Run by bundle.js in a child process, so a faultbox process itself never loads
// esbuild:
//   node bin/build-bundle.js ROOT OUTDIR
// Writes OUTDIR/cli.js, proxy.js and worker.js with their shared chunks (npm packages stay imports,
// resolved from ROOT/node_modules at run time), and OUTDIR/inputs.json: the size, modification time
// and sha256 of every source file bundled, to tell later whether it is current, and a package.json
// marking them ES modules. A source that changed while the build ran leaves no inputs.json (the
// bundle is not used).
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const [root, outdir] = process.argv.slice(2);
// Every source's size and modification time before the build, to tell one that changed while it ran.
const before = new Map();
for (const entry of readdirSync(join(root, "src"), { recursive: true, withFileTypes: true }))
  if (entry.isFile()) {
    const path = join(entry.parentPath ?? entry.path, entry.name);
    const { size, mtimeMs } = statSync(path);
    before.set(path, `${size}:${mtimeMs}`);
  }
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    cli: join(root, "src", "cli", "main.ts"),
    proxy: join(root, "src", "cli", "proxy.ts"),
    worker: join(root, "src", "spec", "worker.ts"),
  },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  splitting: true,
  packages: "external",
  outdir,
  metafile: true,
  sourcemap: "linked",
  logLevel: "error",
});
const inputs = {};
for (const file of Object.keys(result.metafile.inputs)) {
  const path = join(root, file);
  const { size, mtimeMs } = statSync(path);
  if (before.get(path) !== `${size}:${mtimeMs}`) process.exit(3); // changed while the build ran
  inputs[file] = { hash: createHash("sha256").update(readFileSync(path)).digest("hex"), size, mtimeMs };
}
// The bundle is ES modules: say so, as a folder under node_modules/ is in no package's scope (a Node
// older than 20.19 would read its .js files as CommonJS).
writeFileSync(join(outdir, "package.json"), JSON.stringify({ type: "module" }));
writeFileSync(join(outdir, "inputs.json"), JSON.stringify({ inputs }, null, 1));
