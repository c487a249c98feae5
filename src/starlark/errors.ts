// Errors of every stage (scan, parse, resolve, eval) share one type, StarlarkError, so a host catches one thing.

/** A source file as seen by error messages: its name and text (for showing the offending line). */
export class SourceFile {
  private lineCache: string[] | undefined;
  constructor(
    readonly name: string,
    readonly text: string,
  ) {}
  line(n: number): string {
    this.lineCache ??= this.text.split("\n");
    return (this.lineCache[n - 1] ?? "").replace(/\r$/, "");
  }
}

export interface Position {
  file: SourceFile;
  line: number; // 1-based
  col: number; // 1-based
}

export function posString(p: Position): string {
  return `${p.file.name}:${p.line}:${p.col}`;
}

export interface StackFrame {
  name: string; // function name, or "<toplevel>"
  pos: Position | undefined;
}

export type ErrorKind = "syntax" | "resolve" | "runtime" | "limit";

export class StarlarkError extends Error {
  /** The message without position or backtrace, e.g. "undefined: x". */
  readonly msg: string;
  readonly kind: ErrorKind;
  pos: Position | undefined;
  /** Runtime call stack, outermost first (like a Python traceback). */
  frames: StackFrame[] = [];
  /** For resolve errors: every error of the file (this error is the first). */
  all: StarlarkError[] = [];
  /** Set while the error propagates inside a function, before that frame is recorded. */
  pendingPos: Position | undefined;
  /** The Starlark value passed to fail(), if any; lets a host tell fail() from other errors. */
  failed = false;

  constructor(kind: ErrorKind, msg: string, pos?: Position) {
    super(pos ? `${posString(pos)}: ${msg}` : msg);
    this.name = "StarlarkError";
    this.kind = kind;
    this.msg = msg;
    this.pos = pos;
    this.all = [this];
  }

  /** `file:line:col: message`, the source line, a caret, and (runtime errors) the Starlark call stack. */
  format(): string {
    const out: string[] = [];
    for (const e of this.all) out.push(formatOne(e));
    if (this.frames.length > 1) {
      out.push("Traceback (most recent call last):");
      // Collapse runs of identical frames (deep recursion) like Python does.
      let i = 0;
      while (i < this.frames.length) {
        const f = this.frames[i]!;
        let j = i + 1;
        while (j < this.frames.length && sameFrame(this.frames[j]!, f)) j++;
        out.push(`  ${f.pos ? posString(f.pos) : "<builtin>"}: in ${f.name}`);
        if (f.pos) out.push(`    ${f.pos.file.line(f.pos.line).trim()}`);
        if (j - i > 1)
          out.push(`  [previous frame repeated ${j - i - 1} more time${j - i - 1 === 1 ? "" : "s"}]`);
        i = j;
      }
    }
    return out.join("\n");
  }
}

function sameFrame(a: StackFrame, b: StackFrame): boolean {
  return (
    a.name === b.name &&
    a.pos?.file === b.pos?.file &&
    a.pos?.line === b.pos?.line &&
    a.pos?.col === b.pos?.col
  );
}

function formatOne(e: StarlarkError): string {
  if (!e.pos) return e.msg;
  let src = e.pos.file.line(e.pos.line);
  let col = e.pos.col;
  const lines = [`${posString(e.pos)}: ${e.msg}`];
  if (src.length > 160) {
    // show a window of a very long line around the error
    const start = Math.max(0, col - 80);
    src = (start > 0 ? "..." : "") + src.slice(start, start + 160) + (start + 160 < src.length ? "..." : "");
    col = col - start + (start > 0 ? 3 : 0);
  }
  if (src !== "") {
    lines.push(src);
    let pad = "";
    for (let i = 0; i < col - 1 && i < src.length; i++) pad += src[i] === "\t" ? "\t" : " ";
    lines.push(pad + "^");
  }
  return lines.join("\n");
}
