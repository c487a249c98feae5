// Keeps README.md and docs/*.md true: every code block is checked as docs/contributing.md describes.
//   Starlark blocks are complete specs `faultbox check` accepts (or run, where marked and cheap);
//   TypeScript blocks type-check against the package's exports (TS specs also load);
//   shell blocks and inline `faultbox ...` spans use only subcommands and flags the command's --help
//   lists, and name only repository files that exist (the specs they run must load);
//   JSON and YAML blocks parse; an excerpt is found, line by line, in the file it is taken from;
//   a fragment carries a marker saying why it cannot run alone, and must still parse.
// Relative links and repository paths in inline code must exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseFile } from "../../src/starlark/index.js";
import {
  KINDS,
  REPO_PATH,
  STARLARK,
  TYPESCRIPT,
  type TypeScriptSnippet,
  checkSpec,
  commandLines,
  commandProblems,
  commands,
  excerptProblems,
  explains,
  fileLabel,
  flagsOf,
  helpOf,
  kindOf,
  parseJsonBlock,
  root,
  runFaultbox,
  snippetSource,
  syntaxProblems,
  typeCheck,
  typeScriptSnippet,
  where,
  writeScratch,
} from "./checks.js";
import { codeBlocks, inlineCommands } from "./markdown.js";

const docFiles = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const blocks = docFiles.flatMap((f) => codeBlocks(f, readFileSync(join(root, f), "utf8")));
const typeScriptSnippets: TypeScriptSnippet[] = [];
const referencedSpecs = new Set<string>();

test("every code block has a kind this test knows", () => {
  assert.ok(blocks.length > 50, `only ${blocks.length} code blocks found: is the Markdown reader broken?`);
  const bad = blocks
    .filter((b) => !KINDS.has(kindOf(b)))
    .map((b) =>
      b.marker
        ? `${where(b)}: unknown snippet kind "${b.marker.kind}" (known: ${[...KINDS].join(", ")})`
        : `${where(b)}: a \`${b.lang}\` block needs a marker (<!-- snippet: excerpt FILE -->, fragment, output)`,
    );
  const reasonless = blocks
    .filter((b) => kindOf(b) === "fragment" && !b.marker!.argument.trim())
    .map((b) => `${where(b)}: a fragment marker says why it cannot run alone`);
  assert.deepEqual([...bad, ...reasonless], []);
});

for (const file of docFiles) {
  const mine = blocks.filter((b) => b.file === file);
  test(`${file}: code blocks`, { concurrency: 4 }, async (t) => {
    const pending: Promise<void>[] = [];
    const sub = (name: string, fn: () => unknown) =>
      pending.push(t.test(name, async () => void (await fn())));
    for (const b of mine) {
      const kind = kindOf(b);
      const name = `${where(b)} ${b.lang || "(untagged)"}: ${kind}`;
      if (STARLARK.has(b.lang) && kind === "check") {
        sub(name, () => checkSpec(writeScratch(`${fileLabel(b)}.star`, snippetSource(b))));
      } else if (STARLARK.has(b.lang) && kind === "run") {
        sub(name, async () => {
          const args = b.marker!.argument.split(/\s+/).filter(Boolean);
          const exit = Number(args.find((a) => a.startsWith("exit="))?.slice(5) ?? 0);
          const spec = writeScratch(`${fileLabel(b)}.star`, snippetSource(b));
          const r = await runFaultbox(["test", spec, ...args.filter((a) => !a.startsWith("exit="))]);
          assert.equal(r.code, exit, `faultbox test exited ${r.code}, the docs say ${exit}:\n${r.out}`);
        });
      } else if (STARLARK.has(b.lang) && kind === "fragment") {
        sub(name, () => void parseFile(where(b), snippetSource(b)));
      } else if (TYPESCRIPT.has(b.lang) && (kind === "typecheck" || kind === "check")) {
        const snippet = typeScriptSnippet(b);
        typeScriptSnippets.push(snippet);
        if (kind === "check" || /export default defineSpec\(/.test(b.code)) {
          sub(`${name} (loads as a spec)`, () => checkSpec(snippet.file));
        }
      } else if (TYPESCRIPT.has(b.lang) && kind === "fragment") {
        sub(name, () => assert.deepEqual(syntaxProblems(b), []));
      } else if (kind === "json") {
        sub(name, () => parseJsonBlock(b.code));
      } else if (kind === "yaml") {
        sub(name, () => void parseYaml(b.code));
      } else if (kind === "excerpt") {
        sub(name, () => assert.deepEqual(excerptProblems(b), []));
      } else if (kind === "commands" || kind === "output") {
        sub(name, async () => {
          const problems: string[] = [];
          for (const l of commandLines(b.code)) {
            for (const p of await commandProblems(l, referencedSpecs))
              problems.push(`${where(b)}: ${l}\n    ${p}`);
          }
          assert.deepEqual(problems, []);
        });
      } else if (kind !== "fragment") {
        sub(name, () =>
          assert.fail(`${where(b)}: a "${kind}" marker does not apply to a \`${b.lang}\` block`),
        );
      }
    }
    await Promise.all(pending);
  });
}

test("inline `faultbox ...` command lines use only commands and flags their --help lists", async () => {
  const problems: string[] = [];
  for (const f of docFiles) {
    for (const c of inlineCommands(f, readFileSync(join(root, f), "utf8"))) {
      for (const p of await commandProblems(c.text, referencedSpecs))
        problems.push(`${f}:${c.line}: ${c.text}\n    ${p}`);
    }
  }
  assert.deepEqual(problems, []);
});

test("every flag a command's --help offers is documented", async () => {
  const docs = docFiles.map((f) => readFileSync(join(root, f), "utf8")).join("\n");
  const undocumented: string[] = [];
  for (const command of await commands()) {
    for (const flag of flagsOf((await helpOf(command)) ?? "")) {
      if (!explains(docs, flag)) undocumented.push(`faultbox ${command} ${flag}`);
    }
  }
  assert.deepEqual(
    undocumented,
    [],
    "flags in --help that README.md and docs/*.md name at most in a usage synopsis",
  );
});

test("relative links and repository paths named in the docs exist", () => {
  const problems: string[] = [];
  for (const f of docFiles) {
    const text = readFileSync(join(root, f), "utf8");
    let inFence = false;
    text.split("\n").forEach((line, i) => {
      if (/^\s*(`{3,}|~{3,})/.test(line)) inFence = !inFence;
      if (inFence) return;
      for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split("#")[0]!;
        if (!target || /^[a-z]+:/.test(target)) continue;
        if (!existsSync(resolve(root, dirname(f), target))) problems.push(`${f}:${i + 1}: link to ${target}`);
      }
      for (const m of line.matchAll(/`([^`\s]+)`/g)) {
        const path = m[1]!.replace(/[:,.]+$/, "");
        if (REPO_PATH.test(path) && !existsSync(join(root, path)))
          problems.push(`${f}:${i + 1}: \`${path}\``);
      }
    });
  }
  assert.deepEqual(problems, [], "links and paths that point nowhere");
});

test("the specs the docs tell you to run load (faultbox check)", { concurrency: 4 }, async (t) => {
  // Collected by the command checks above, which ran first (the tests of a file run in order).
  assert.ok(referencedSpecs.size > 0, "no `faultbox test SPEC` command found in the docs");
  await Promise.all([...referencedSpecs].sort().map((s) => t.test(s, () => checkSpec(join(root, s)))));
});

test("TypeScript blocks type-check against the package", () => {
  assert.deepEqual(typeCheck(typeScriptSnippets), []);
});
