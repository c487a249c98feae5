// A line diff of two normalized traces (Myers' O(ND) algorithm), printed as unified-diff hunks whose
// headers name the test and lane the change is in, so a reader sees "test_x, service kafka" rather than
// a line number.

export type Edit = { op: "=" | "-" | "+"; line: string; a: number; b: number };

/** The shortest edit script turning `a` into `b` (indexes are 0-based line numbers in each side). */
export function diffLines(a: string[], b: string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  // Walk back through the saved frontiers.
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      edits.push({ op: "=", line: a[x]!, a: x, b: y });
    }
    if (x === prevX) edits.push({ op: "+", line: b[prevY]!, a: x, b: prevY });
    else edits.push({ op: "-", line: a[prevX]!, a: prevX, b: y });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    edits.push({ op: "=", line: a[x]!, a: x, b: y });
  }
  return edits.reverse();
}

/** The `=== test ===` and `--- lane ---` headers in force at each line of a trace. */
function sections(lines: string[]): string[] {
  const out: string[] = [];
  let test = "";
  let lane = "";
  for (const l of lines) {
    const t = /^=== (.*) ===$/.exec(l);
    const s = /^--- (.*) ---$/.exec(l);
    if (t) {
      test = t[1]!;
      lane = "";
    } else if (s) lane = s[1]!;
    out.push(test ? `${test}${lane ? `, ${lane}` : ""}` : "");
  }
  return out;
}

export interface UnifiedOptions {
  nameA: string;
  nameB: string;
  context?: number;
  color?: boolean;
}

/** Unified-diff text of two traces; empty when they are identical. */
export function unifiedDiff(textA: string, textB: string, o: UnifiedOptions): string {
  const a = textA.split("\n");
  const b = textB.split("\n");
  if (a.at(-1) === "") a.pop();
  if (b.at(-1) === "") b.pop();
  const edits = diffLines(a, b);
  if (edits.every((e) => e.op === "=")) return "";
  const ctx = o.context ?? 3;
  const where = sections(a);
  const paint = (code: string, s: string) => (o.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out = [paint("1", `--- ${o.nameA}`), paint("1", `+++ ${o.nameB}`)];
  let i = 0;
  while (i < edits.length) {
    if (edits[i]!.op === "=") {
      i++;
      continue;
    }
    // A hunk: this change, the changes within 2*ctx lines of it, and ctx lines around.
    const start = Math.max(0, i - ctx);
    let end = i;
    let sinceChange = 0;
    for (let j = i; j < edits.length; j++) {
      if (edits[j]!.op !== "=") {
        end = j;
        sinceChange = 0;
      } else if (++sinceChange > 2 * ctx) break;
    }
    end = Math.min(edits.length - 1, end + ctx);
    const hunk = edits.slice(start, end + 1);
    const first = hunk[0]!;
    const lenA = hunk.filter((e) => e.op !== "+").length;
    const lenB = hunk.filter((e) => e.op !== "-").length;
    const firstChange = hunk.find((e) => e.op !== "=")!;
    const section = where[Math.min(firstChange.a, where.length - 1)] ?? "";
    out.push(
      paint("36", `@@ -${first.a + 1},${lenA} +${first.b + 1},${lenB} @@`) + (section ? ` ${section}` : ""),
    );
    for (const e of hunk) {
      if (e.op === "=") out.push(` ${e.line}`);
      else if (e.op === "-") out.push(paint("31", `-${e.line}`));
      else out.push(paint("32", `+${e.line}`));
    }
    i = end + 1;
  }
  return out.join("\n") + "\n";
}
