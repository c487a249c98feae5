// "did you mean ...?" hints: the closest candidate by edit distance, if close enough to be a likely typo.
// A leaf module (no imports): the Starlark interpreter and the engine both use it.

export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  const max = 1 + Math.floor(name.length / 4);
  let best: string | undefined;
  let bestD = max + 1;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    if (c === name || c.startsWith("_")) continue;
    if (Math.abs(c.length - name.length) > max) continue;
    const d = c.toLowerCase() === lower ? 0 : distance(lower, c.toLowerCase());
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= max ? best : undefined;
}

/** Levenshtein distance (insertions, deletions and substitutions each cost 1). */
export function distance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
