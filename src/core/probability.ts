// The one probability grammar of specs, for proxy rules (drop(probability=...)) and syscall faults
// (deny("EIO", probability=...)) alike: a fraction 0..1 (0.25) or a percentage string ("25%").
//
// A bare number above 1 is refused rather than read as a percentage: `probability=50` reads as "always"
// to anyone who knows the 0..1 form, and as "half" to anyone who knows Go Faultbox's, so neither
// reading is safe. 0 and 1 mean what they say (never, always).

/** Parses a probability into 0..1; throws a message naming `what` and the accepted forms. */
export function parseProbability(value: unknown, what = "probability"): number {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  const forms = 'use a fraction from 0 to 1 (0.25) or a percentage string ("25%")';
  if (typeof value === "string") {
    const text = value.trim();
    const percent = text.endsWith("%");
    const body = percent ? text.slice(0, -1).trim() : text;
    const n = /^(\d+(\.\d*)?|\.\d+)$/.test(body) ? Number(body) : NaN;
    if (!Number.isFinite(n)) throw new Error(`${what}: ${shown} is not a probability; ${forms}`);
    if (percent) {
      if (n > 100) throw new Error(`${what}: ${shown} is more than 100%`);
      return n / 100;
    }
    return checkFraction(n, shown, what, forms);
  }
  if (typeof value === "number" && Number.isFinite(value)) return checkFraction(value, shown, what, forms);
  throw new Error(`${what}: ${shown} is not a probability; ${forms}`);
}

function checkFraction(n: number, shown: string, what: string, forms: string): number {
  if (n < 0) throw new Error(`${what}: ${shown} is negative; ${forms}`);
  if (n <= 1) return n;
  if (Number.isInteger(n) && n <= 100)
    throw new Error(`${what}: ${shown} is ambiguous (a fraction above 1); write "${n}%" or ${n / 100}`);
  throw new Error(`${what}: ${shown} is above 1; ${forms}`);
}
