// Every snippet of the product description (the seed, Faultbox's Kafka protocol reference) must run
// verbatim: each one is in examples/seed/*.star, which test/integration/seed runs against real Kafka.
// The snippets are kept in test/docs/seed-snippets.txt; when the seed itself is at hand (a checkout
// next to ../shared/seed, or FAULTBOX_SEED), that list is checked against it in both directions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

interface SeedSnippet {
  title: string;
  lines: string[];
}

function seedSnippets(): SeedSnippet[] {
  const text = readFileSync(join(root, "test/docs/seed-snippets.txt"), "utf8");
  const snippets: SeedSnippet[] = [];
  for (const line of text.split("\n")) {
    const head = /^### seed: (.*)$/.exec(line);
    if (head) snippets.push({ title: head[1]!, lines: [] });
    else snippets.at(-1)?.lines.push(line);
  }
  for (const s of snippets) while (s.lines.at(-1)?.trim() === "") s.lines.pop();
  return snippets;
}

/** The seed page, if this checkout sits where the seed is (or FAULTBOX_SEED names it). */
function seedText(): string | undefined {
  const candidates = [
    process.env.FAULTBOX_SEED,
    ...[join(root, "..", "shared", "seed"), join(root, "..", "..", "shared", "seed")].flatMap((dir) =>
      existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => f.endsWith(".txt"))
            .map((f) => join(dir, f))
        : [],
    ),
  ].filter((f): f is string => !!f && existsSync(f));
  return candidates.length ? readFileSync(candidates[0]!, "utf8") : undefined;
}

/** Splits a snippet at blank lines: an example may place the parts of one snippet apart. */
function chunks(lines: string[]): string[][] {
  const out: string[][] = [[]];
  for (const l of lines) {
    if (l.trim() === "") {
      if (out.at(-1)!.length) out.push([]);
    } else out.at(-1)!.push(l);
  }
  return out.filter((c) => c.length);
}

/** Whether `chunk` occurs in `file` line for line, every line shifted by the same indentation. */
function occursVerbatim(chunk: string[], file: string[]): boolean {
  for (let i = 0; i + chunk.length <= file.length; i++) {
    const first = file[i]!;
    if (!first.endsWith(chunk[0]!)) continue;
    const indent = first.slice(0, first.length - chunk[0]!.length);
    if (indent.trim() !== "") continue;
    if (chunk.every((l, k) => file[i + k] === indent + l)) return true;
  }
  return false;
}

test("every seed snippet is in examples/seed/*.star, verbatim (only indented as a whole)", () => {
  const dir = join(root, "examples/seed");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".star"))
    .map((f) => ({ name: `examples/seed/${f}`, lines: readFileSync(join(dir, f), "utf8").split("\n") }));
  const missing: string[] = [];
  for (const s of seedSnippets()) {
    for (const chunk of chunks(s.lines)) {
      if (!files.some((f) => occursVerbatim(chunk, f.lines))) {
        missing.push(`seed "${s.title}":\n${chunk.map((l) => `    | ${l}`).join("\n")}`);
      }
    }
  }
  assert.deepEqual(missing, [], `not found verbatim in any examples/seed/*.star:\n${missing.join("\n")}`);
});

test("test/docs/seed-snippets.txt holds exactly the seed's snippets", (t) => {
  const seed = seedText();
  if (!seed) return t.skip("the seed is not at hand (../shared/seed or FAULTBOX_SEED)");
  const snippets = seedSnippets();
  for (const s of snippets) {
    assert.ok(seed.includes(s.lines.join("\n")), `snippet "${s.title}" is not in the seed as written`);
  }
  // The other direction: every line of the seed that is code is in some snippet. The seed is a web
  // page flattened to text, so code is told from prose by its shape; method headings look like calls.
  const headings = new Set([
    'publish(topic="", data="", key="")',
    'consume(topic="", group="faultbox")',
    "drop(topic=)",
    "delay(topic=, delay=)",
    "duplicate(topic=)",
  ]);
  const known = new Set(snippets.flatMap((s) => s.lines));
  const code = /^(\s+\S|#|[a-z_][a-z_.]*\s*(=|\()|def |import |\))/;
  const uncovered = seed.split("\n").filter((l) => code.test(l) && !headings.has(l) && !known.has(l));
  assert.deepEqual(uncovered, [], "seed lines that look like code but are in no snippet");
});
