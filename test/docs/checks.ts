// The checks behind test/docs/snippets.test.ts (docs/contributing.md describes them), kept apart so
// test/docs/checks.test.ts can show each one failing on a broken snippet.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { loadSpec } from "../../src/cli/load.js";
import type { CodeBlock } from "./markdown.js";

export const root = resolve(new URL("../../", import.meta.url).pathname);
const bin = join(root, "bin/faultbox.js");
// Generated snippet files live inside the repository, so `import ... from "faultbox"` resolves to this
// package (a self-reference through package.json's exports), as it does in a user's project.
const scratch = join(root, ".cache", `doc-snippets-${process.pid}`);
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));

export const STARLARK = new Set(["python", "starlark", "star", "py"]);
export const TYPESCRIPT = new Set(["ts", "typescript", "mts"]);
const SHELL = new Set(["sh", "shell", "bash", "console", ""]);
export const KINDS = new Set([
  "check",
  "run",
  "fragment",
  "excerpt",
  "output",
  "typecheck",
  "commands",
  "json",
  "yaml",
]);

export function where(b: CodeBlock): string {
  return `${b.file}:${b.line}`;
}

/** What a block is checked as: its marker's kind, or the default for its language. */
export function kindOf(b: CodeBlock): string {
  if (b.marker) return b.marker.kind;
  if (STARLARK.has(b.lang)) return "check";
  if (TYPESCRIPT.has(b.lang)) return "typecheck";
  if (SHELL.has(b.lang) || b.lang === "text") return "commands";
  if (b.lang === "json" || b.lang === "yaml") return b.lang;
  return "unmarked";
}

export function runFaultbox(args: string[], cwd = root): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code, out }));
  });
}

// ---------------------------------------------------------------------------------------------------
// Help texts: `faultbox CMD --help`, or the command's lines of `faultbox --help` where CMD has none.

let topHelp: Promise<string> | undefined;
const commandHelp = new Map<string, Promise<string | undefined>>();

/** The subcommands `faultbox --help` lists. */
export async function commands(): Promise<string[]> {
  topHelp ??= runFaultbox(["--help"]).then((r) => r.out);
  const top = await topHelp;
  return [...new Set([...top.matchAll(/^\s+faultbox ([a-z][a-z-]*)/gm)].map((m) => m[1]!))];
}

/** The flags a help text names. */
export function flagsOf(help: string): string[] {
  return [...new Set(flagsIn(help))];
}

/**
 * Whether the docs say what a flag does: a mention outside a usage synopsis's `[--flag ARG]` group,
 * since a synopsis only names it.
 */
export function explains(docs: string, flag: string): boolean {
  return mentions(docs.replace(/\[[^[\]]*--[^[\]]*\]/g, ""), flag);
}

export function helpOf(command: string): Promise<string | undefined> {
  topHelp ??= runFaultbox(["--help"]).then((r) => r.out);
  let h = commandHelp.get(command);
  if (!h) {
    h = (async () => {
      const top = await topHelp!;
      const commands = [...top.matchAll(/^\s+faultbox ([a-z][a-z-]*)/gm)].map((m) => m[1]!);
      if (!commands.includes(command)) return undefined;
      const own = await runFaultbox([command, "--help"]);
      if (own.code === 0) return own.out;
      // The usage lines of `faultbox --help` that belong to this command (a synopsis may wrap).
      const section: string[] = [];
      let mine = false;
      for (const l of top.split("\n")) {
        if (/^\s+faultbox /.test(l)) mine = new RegExp(`^\\s+faultbox ${command}\\b`).test(l);
        else if (l.trim() === "") mine = false;
        if (mine) section.push(l);
      }
      return section.join("\n");
    })();
    commandHelp.set(command, h);
  }
  return h;
}

// ---------------------------------------------------------------------------------------------------
// Shell command lines.

const FAULTBOX =
  /^(?:(?:[A-Z_][A-Z0-9_]*=\S*\s+)*)(?:npx\s+faultbox|(?:node\s+)?(?:\.\/)?bin\/faultbox\.js|faultbox)\s+(.*)$/;
export const REPO_PATH =
  /^(?:\.\/)?(?:(?:examples|docs|scripts|test|src|bench)\/[A-Za-z0-9_./-]*[A-Za-z0-9_]|bin\/faultbox\.js)$/;

/** The command lines of a shell block: `\` continuations joined, prompts and comments removed. */
export function commandLines(code: string): string[] {
  const out: string[] = [];
  let pending = "";
  for (const raw of code.split("\n")) {
    let l = raw.replace(/^\s*\$\s+/, "");
    l = l.replace(/(^|\s)#(?!\{).*$/, "");
    if (l.trimEnd().endsWith("\\")) {
      pending += l.trimEnd().slice(0, -1) + " ";
      continue;
    }
    l = (pending + l).trim().replace(/\s+/g, " ");
    pending = "";
    if (l) out.push(l);
  }
  return out;
}

function flagsIn(args: string): string[] {
  return [...args.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]).filter((f) => f !== "--help");
}

function mentions(help: string, flag: string): boolean {
  return new RegExp(`(?<![\\w-])${flag}(?![\\w-])`).test(help);
}

// The repository's scripts that answer --help (or an unknown option) with the options they know.
// scripts/setup.sh is never run here: it installs packages.
const SCRIPT =
  /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:bash\s+|\.\/)?(scripts\/(?:kafka\/(?:start|resolve)|postgres\/start))\b(.*)$/;
const scriptHelps = new Map<string, Promise<string | undefined>>();

function scriptHelp(script: string): Promise<string | undefined> {
  let h = scriptHelps.get(script);
  if (!h) {
    h = new Promise((done) => {
      const child = spawn(join(root, script), ["--help"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("error", () => done(undefined));
      child.on("close", () => done(out.includes("--") ? out : undefined));
    });
    scriptHelps.set(script, h);
  }
  return h;
}

function tokens(line: string): string[] {
  return [...line.matchAll(/'[^']*'|"[^"]*"|\S+/g)].map((m) => m[0]);
}

/** Problems with one command line: unknown subcommand or flag, a repository path that does not exist. */
export async function commandProblems(line: string, specs: Set<string>): Promise<string[]> {
  const problems: string[] = [];
  for (const part of line.split(/\s*(?:&&|\|\||;|\|)\s*/)) {
    for (const t of tokens(part)) {
      const path = t.replace(/^['"]|['"]$/g, "");
      if (REPO_PATH.test(path) && !existsSync(join(root, path))) problems.push(`no such file: ${path}`);
    }
    const script = SCRIPT.exec(part.trim());
    if (script) {
      const help = await scriptHelp(script[1]!);
      for (const f of help ? flagsIn(script[2]!) : []) {
        if (!mentions(help!, f)) problems.push(`${script[1]}: ${f} is not among the options it knows`);
      }
    }
    const m = FAULTBOX.exec(part.trim());
    if (!m) continue;
    const [command, ...rest] = tokens(m[1]!);
    if (!command || command === "--help" || command === "--version") continue;
    const help = await helpOf(command);
    if (help === undefined) {
      problems.push(`"faultbox ${command}" is not a command (faultbox --help lists the commands)`);
      continue;
    }
    for (const f of flagsIn(rest.join(" "))) {
      if (!mentions(help, f)) problems.push(`faultbox ${command}: ${f} is not in its --help`);
    }
    if (command === "test" || command === "check") {
      const spec = rest.find((t) => !t.startsWith("-") && /\.(star|ts|mts)$/.test(t));
      if (spec && REPO_PATH.test(spec) && existsSync(join(root, spec))) specs.add(spec);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Starlark and TypeScript snippets.

let scratchCount = 0;
export function writeScratch(name: string, text: string): string {
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, `${++scratchCount}-${name}`);
  writeFileSync(file, text);
  return file;
}

export function snippetSource(b: CodeBlock): string {
  return b.marker?.prelude ? `${b.marker.prelude}\n${b.code}` : b.code;
}

export async function checkSpec(file: string): Promise<void> {
  const builder = await loadSpec(file);
  assert.ok(builder.suite.services.length + builder.suite.tests.length > 0, "the spec declares nothing");
}

export function fileLabel(b: CodeBlock): string {
  return `${b.file.replace(/[^A-Za-z0-9]+/g, "-")}-${b.line}`;
}

/** Each non-blank line of the excerpt, trimmed, is a line of `file` (after the previous one). */
export function excerptProblems(b: CodeBlock): string[] {
  const target = b.marker!.argument.trim();
  if (!target) return [`${where(b)}: "excerpt" needs the file it is taken from`];
  const path = join(root, target);
  if (!existsSync(path)) return [`${where(b)}: excerpt of ${target}, which does not exist`];
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .map((l) => l.trim());
  let at = 0;
  const missing: string[] = [];
  for (const l of b.code.split("\n").map((x) => x.trim())) {
    if (!l) continue;
    const found = lines.indexOf(l, at);
    if (found < 0) missing.push(l);
    else at = found + 1;
  }
  return missing.map((l) => `${where(b)}: not in ${target} (in this order): ${l}`);
}

export interface TypeScriptSnippet {
  block: CodeBlock;
  file: string;
  /** Lines of prelude written before the block. */
  prefix: number;
}

/** Writes a TypeScript block (with its prelude) as a module to type-check; see typeCheck(). */
export function typeScriptSnippet(b: CodeBlock): TypeScriptSnippet {
  // A block without imports or exports is a script; `export {}` makes every block a module.
  const file = writeScratch(`${fileLabel(b)}.ts`, `${snippetSource(b)}\nexport {};\n`);
  return { block: b, file, prefix: b.marker?.prelude ? b.marker.prelude.split("\n").length : 0 };
}

/** Type errors in the snippets, each at its line in the Markdown file; one program for all of them. */
export function typeCheck(snippets: TypeScriptSnippet[]): string[] {
  if (snippets.length === 0) return [];
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, "tsconfig.test.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  )!;
  const program = ts.createProgram(
    snippets.map((p) => p.file),
    { ...config.options, noEmit: true, skipLibCheck: true, noUnusedLocals: false, noUnusedParameters: false },
  );
  const problems: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const owner = snippets.find((p) => d.file && resolve(d.file.fileName) === p.file);
    if (!owner) continue; // errors in the package's own sources are tsc's business, not the docs'
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    const docLine = owner.block.line + 1 + line - owner.prefix;
    problems.push(`${owner.block.file}:${docLine}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  }
  return problems;
}

/** Syntax errors of a TypeScript fragment. */
export function syntaxProblems(b: CodeBlock): string[] {
  const out = ts.transpileModule(snippetSource(b), { reportDiagnostics: true, fileName: "snippet.ts" });
  return (out.diagnostics ?? []).map(
    (d) => `${where(b)}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
  );
}

/** One JSON document, or one per line (the NDJSON of event streams and service output). */
export function parseJsonBlock(code: string): void {
  try {
    JSON.parse(code);
  } catch {
    for (const l of code.split("\n").filter((x) => x.trim())) JSON.parse(l);
  }
}
