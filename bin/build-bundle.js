// Bundles the faultbox command (see bundle.js) into plain JavaScript with esbuild, the transpiler tsx
// already brings. Run by bundle.js in a child process, so a faultbox process itself never loads
// esbuild:
//   node bin/build-bundle.js ROOT OUTDIR
// Writes OUTDIR/cli.js and proxy.js with their shared chunks, worker.cjs and worker-boot.cjs (the
// Starlark worker as one CommonJS file, and its entry; npm packages stay imports or requires, resolved
// from ROOT/node_modules at run time), and OUTDIR/inputs.json: the size, modification time and sha256
// of every source file bundled, to tell later whether it is current, and a package.json marking the
// .js files ES modules. A source that changed while the build ran leaves no inputs.json (the
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
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  packages: "external",
  outdir,
  metafile: true,
  sourcemap: "linked",
  logLevel: "error",
};
const result = await build({
  ...common,
  entryPoints: { cli: join(root, "src", "cli", "main.ts"), proxy: join(root, "src", "cli", "proxy.ts") },
  format: "esm",
  splitting: true,
});
// The Starlark worker is one CommonJS file, worker.cjs, which worker-boot.cjs compiles with a V8 code
// cache (src/spec/code-cache.ts: vm.Script takes a cache, ES modules do not). Its `import.meta.url` is the
// URL of the file itself.
const worker = await build({
  ...common,
  entryPoints: {
    worker: join(root, "src", "spec", "worker.ts"),
    "worker-boot": join(root, "src", "spec", "worker-boot.ts"),
  },
  format: "cjs",
  outExtension: { ".js": ".cjs" },
  define: { "import.meta.url": "__faultboxImportMetaUrl" },
  // "use strict" first, or the banner would make the whole file sloppy-mode code.
  banner: { js: '"use strict";\nvar __faultboxImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
});
// A dynamic import() in a vm.Script needs a loader the boot does not give it: refuse such a bundle here
// rather than fail in a user's run.
for (const [out, { imports }] of Object.entries(worker.metafile.outputs))
  for (const i of imports)
    if (i.kind === "dynamic-import") {
      process.stderr.write(`${out}: the Starlark worker may not use import() (${i.path})\n`);
      process.exit(4);
    }
if (!readFileSync(join(outdir, "worker.cjs"), "utf8").startsWith('"use strict";')) {
  process.stderr.write("worker.cjs does not start with \"use strict\"\n");
  process.exit(4);
}
const inputs = {};
for (const file of new Set([...Object.keys(result.metafile.inputs), ...Object.keys(worker.metafile.inputs)])) {
  const path = join(root, file);
  const { size, mtimeMs } = statSync(path);
  if (before.get(path) !== `${size}:${mtimeMs}`) process.exit(3); // changed while the build ran
  inputs[file] = { hash: createHash("sha256").update(readFileSync(path)).digest("hex"), size, mtimeMs };
}
// The bundle is ES modules: say so, as a folder under node_modules/ is in no package's scope (a Node
// older than 20.19 would read its .js files as CommonJS).
writeFileSync(join(outdir, "package.json"), JSON.stringify({ type: "module" }));
writeFileSync(join(outdir, "inputs.json"), JSON.stringify({ inputs }, null, 1));
