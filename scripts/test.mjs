#!/usr/bin/env node
// `npm test`: runs every test/**/*.test.ts with Node's built-in test runner (through tsx).
//   --unit         only tests outside test/integration/
//   --only PATTERN only files whose path contains PATTERN
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const onlyIdx = args.indexOf("--only");
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

let files = walk(join(root, "test")).map((f) => relative(root, f)).sort();
if (unitOnly) files = files.filter((f) => !f.startsWith("test/integration/"));
if (only) files = files.filter((f) => f.includes(only));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], {
  cwd: root,
  stdio: "inherit",
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
