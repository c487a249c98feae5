// Go-style duration strings ("500ms", "2s", "1.5s", "2m", "1h30m"), the form specs use for timeouts and delays.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a duration into milliseconds; numbers are taken as milliseconds. Throws a message naming the input. */
export function parseDuration(value: string | number, what = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${what}: ${value} is not a valid duration`);
    return value;
  }
  const text = value.trim();
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text === "" || matched !== text.length) {
    throw new Error(`${what}: bad duration "${value}" (use a number with a unit: "500ms", "2s", "1m")`);
  }
  return total;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  return `${+(ms / 60_000).toFixed(2)}m`;
}
