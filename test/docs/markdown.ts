// Reads the code blocks of a Markdown file, with the `<!-- snippet: ... -->` marker that may stand
// before each (the convention is described in docs/contributing.md), and the inline code spans that
// are faultbox command lines.
import { readFileSync } from "node:fs";

export interface SnippetMarker {
  /** The first word after `snippet:`: check, run, fragment, excerpt, output, ... */
  kind: string;
  /** The rest of the marker's first line (a reason, a file, `exit=2`). */
  argument: string;
  /** Lines of the comment after the first one: Starlark or TypeScript placed before the block. */
  prelude: string;
  line: number;
}

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's info string, lower-cased (`python`, `ts`, `sh`, or "" when untagged). */
  lang: string;
  code: string;
  marker?: SnippetMarker;
}

export interface InlineCommand {
  file: string;
  line: number;
  text: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;
const MARKER_START = /^\s*<!--\s*snippet:\s*(.*)$/;

/** Every fenced code block of `file`, each with the snippet marker written right before it. */
export function codeBlocks(file: string, text = readFileSync(file, "utf8")): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  let marker: SnippetMarker | undefined;
  for (let i = 0; i < lines.length; i++) {
    const start = MARKER_START.exec(lines[i]!);
    if (start) {
      const markerLine = i + 1;
      const indent = lines[i]!.length - lines[i]!.trimStart().length;
      let first = start[1]!;
      const body: string[] = [];
      let closed = first.includes("-->");
      if (closed) first = first.slice(0, first.indexOf("-->"));
      while (!closed && ++i < lines.length) {
        const l = lines[i]!;
        if (l.includes("-->")) {
          const before = l.slice(0, l.indexOf("-->"));
          if (before.trim()) body.push(before);
          closed = true;
        } else body.push(l);
      }
      if (!closed) throw new Error(`${file}:${markerLine}: <!-- snippet: is never closed with -->`);
      const [kind = "", ...rest] = first.trim().split(/\s+/);
      marker = {
        kind: kind.replace(/:$/, ""),
        argument: rest.join(" "),
        // A marker inside a list item is indented like the block it belongs to; the prelude is not.
        prelude: body.map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join("\n"),
        line: markerLine,
      };
      continue;
    }
    const open = FENCE.exec(lines[i]!);
    if (!open) {
      // A marker belongs to the block right after it (blank lines allowed in between).
      if (marker && lines[i]!.trim() !== "") {
        throw new Error(`${file}:${marker.line}: a snippet marker must stand right before a code block`);
      }
      continue;
    }
    const indent = open[1]!.length;
    const fence = open[2]!;
    const code: string[] = [];
    const line = i + 1;
    while (++i < lines.length) {
      const l = lines[i]!;
      if (l.trim().startsWith(fence) && l.trim().replace(/[`~]/g, "") === "") break;
      code.push(l.slice(Math.min(indent, l.length - l.trimStart().length)));
    }
    blocks.push({
      file,
      line,
      lang: open[3]!.trim().split(/\s+/)[0]!.toLowerCase(),
      code: code.join("\n") + "\n",
      marker,
    });
    marker = undefined;
  }
  return blocks;
}

/** Inline code spans (outside fenced blocks) that are faultbox command lines: `faultbox test ...`. */
export function inlineCommands(file: string, text = readFileSync(file, "utf8")): InlineCommand[] {
  const out: InlineCommand[] = [];
  const lines = text.split("\n");
  // Spans may wrap across lines, never across paragraphs: collect each paragraph outside fences.
  let paragraph: string[] = [];
  let paragraphStart = 0;
  const flush = () => {
    const joined = paragraph.join("\n");
    for (const m of joined.matchAll(/`([^`]+)`/g)) {
      const span = m[1]!.replace(/\s*\n\s*/g, " ");
      if (/^(npx )?faultbox [a-z-]+( |$)/.test(span)) {
        const line = paragraphStart + joined.slice(0, m.index).split("\n").length;
        out.push({ file, line, text: span });
      }
    }
    paragraph = [];
  };
  let inFence: string | undefined;
  lines.forEach((l, i) => {
    const fence = FENCE.exec(l);
    if (inFence !== undefined) {
      if (fence && fence[2]!.startsWith(inFence) && !fence[3]!.trim()) inFence = undefined;
      return;
    }
    if (fence) {
      flush();
      inFence = fence[2]!;
      return;
    }
    if (l.trim() === "") return flush();
    if (paragraph.length === 0) paragraphStart = i;
    paragraph.push(l);
  });
  flush();
  return out;
}
