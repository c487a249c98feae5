// The snippet checks of test/docs/snippets.test.ts fail on the mistakes they exist for: a spec with a
// misspelt keyword, a flag no --help lists, a subcommand that does not exist, a file that is not there,
// an excerpt that drifted from its file, a type error, a marker that stands nowhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkSpec,
  commandLines,
  commandProblems,
  excerptProblems,
  explains,
  snippetSource,
  syntaxProblems,
  typeCheck,
  typeScriptSnippet,
  writeScratch,
} from "./checks.js";
import { codeBlocks, inlineCommands } from "./markdown.js";

const fence = "```";

test("blocks are read with their marker, prelude and line; inline commands across line breaks", () => {
  const md = [
    "# t", //                                              1
    "<!-- snippet: check", //                              2
    "  x = 1", //                                          3
    "-->", //                                              4
    `${fence}python`, //                                   5
    "y = x", //                                            6
    fence, //                                              7
    "- item:", //                                          8
    `  ${fence}sh`, //                                     9
    "  faultbox test a.star", //                           10
    `  ${fence}`, //                                       11
    "Run `faultbox test SPEC [--seed", //                  12
    "N]` or `npm test`.", //                               13
  ].join("\n");
  const blocks = codeBlocks("doc.md", md);
  assert.deepEqual(
    blocks.map((b) => [b.line, b.lang, b.code, b.marker?.kind, b.marker?.prelude]),
    [
      [5, "python", "y = x\n", "check", "  x = 1"],
      [9, "sh", "faultbox test a.star\n", undefined, undefined],
    ],
  );
  assert.deepEqual(inlineCommands("doc.md", md), [
    { file: "doc.md", line: 12, text: "faultbox test SPEC [--seed N]" },
  ]);
  assert.throws(
    () => codeBlocks("doc.md", "<!-- snippet: fragment: x -->\ntext\n"),
    /must stand right before a code block/,
  );
});

test("command lines: continuations joined, prompts and comments dropped", () => {
  assert.deepEqual(commandLines("$ faultbox test \\\n   a.star --seed 3   # why\n\n# only a comment\n"), [
    "faultbox test a.star --seed 3",
  ]);
});

test("a flag that is not in the command's --help, an unknown subcommand and a missing file are reported", async () => {
  const specs = new Set<string>();
  assert.deepEqual(
    await commandProblems("faultbox test examples/quickstart/faultbox.star --seed 3", specs),
    [],
  );
  assert.deepEqual([...specs], ["examples/quickstart/faultbox.star"]);
  assert.deepEqual(
    await commandProblems("ORDERS_MODE=naive ./bin/faultbox.js test x.star --workers 4", specs),
    ["faultbox test: --workers is not in its --help"],
  );
  assert.deepEqual(await commandProblems("npx faultbox frobnicate", specs), [
    '"faultbox frobnicate" is not a command (faultbox --help lists the commands)',
  ]);
  assert.deepEqual(await commandProblems("scripts/kafka/start --nodes 3 --brokers 2", specs), [
    "scripts/kafka/start: --brokers is not among the options it knows",
  ]);
  assert.deepEqual(await commandProblems("faultbox check examples/nowhere/faultbox.star", specs), [
    "no such file: examples/nowhere/faultbox.star",
  ]);
});

test("a flag named only in a usage synopsis is not explained; one named in prose is", () => {
  const synopsisOnly = "```\nfaultbox test SPEC [--seed N] [--verbose]\n```\n`--seed N` replays a run.";
  assert.equal(explains(synopsisOnly, "--verbose"), false);
  assert.equal(explains(synopsisOnly, "--seed"), true);
  assert.equal(explains("`--verbose-ish` is not it", "--verbose"), false);
});

test("a spec with a misspelt keyword is refused; a correct one loads", async () => {
  const good = 'kafka = service("kafka", interface("broker", "kafka", 9092), image = "apache/kafka:4.1.0")\n';
  await checkSpec(writeScratch("good.star", good));
  await assert.rejects(checkSpec(writeScratch("bad.star", good.replace("image =", "imgae ="))), /imgae/);
});

test("an excerpt that drifted from its file is reported line by line", () => {
  const [b] = codeBlocks(
    "doc.md",
    `<!-- snippet: excerpt examples/quickstart/faultbox.star -->\n${fence}python\nbus = kafka.broker(\nthis line is not there\n${fence}\n`,
  );
  assert.deepEqual(excerptProblems(b!), [
    "doc.md:2: not in examples/quickstart/faultbox.star (in this order): this line is not there",
  ]);
});

test("TypeScript: a type error is reported at its line in the Markdown file, a syntax error in a fragment", () => {
  const md = [
    "<!-- snippet: typecheck",
    "declare const topic: string;",
    "-->",
    `${fence}ts`, // 4
    "const n: number = topic;", // 5
    "void n;",
    fence,
    "<!-- snippet: fragment: a sketch -->",
    `${fence}ts`, // 9
    "registerProtocol({ close: });",
    fence,
  ].join("\n");
  const [typed, fragment] = codeBlocks("doc.md", md);
  assert.equal(snippetSource(typed!).split("\n")[0], "declare const topic: string;");
  const problems = typeCheck([typeScriptSnippet(typed!)]);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0]!, /^doc\.md:5: Type 'string' is not assignable to type 'number'/);
  assert.equal(syntaxProblems(fragment!).length > 0, true);
});
