// The one duration grammar of specs: Go-style strings ("500ms", "2s", "1.5s", "2m", "1h30m", "0").
// Every duration keyword (timeouts, delay=, delay("...")) goes through parseDuration, so they accept the
// same forms and refuse the same mistakes. A bare number is refused with a hint: `delay=3` could mean
// seconds or milliseconds, and guessing silently is how a 3 s delay becomes 3 ms.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const UNITS = "ns, us, ms, s, m, h";

/** A duration in milliseconds. Throws a message that names `what` (e.g. `delay(delay=)`) and the input. */
export function parseDuration(value: unknown, what = "duration"): number {
  if (typeof value === "number" || typeof value === "bigint") {
    throw new Error(
      `${what}: ${value} has no unit; write a duration such as "${value}s" or "${value}ms" (units: ${UNITS})`,
    );
  }
  if (typeof value !== "string")
    throw new Error(`${what}: expected a duration such as "500ms" or "2s", got ${String(value)}`);
  const text = value.trim();
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text === "" || matched !== text.length) {
    const hint = /^\d+(\.\d+)?$/.test(text)
      ? `"${text}" has no unit; write "${text}s" or "${text}ms"`
      : `bad duration "${value}"; use a number with a unit, e.g. "500ms", "2s", "1m30s"`;
    throw new Error(`${what}: ${hint} (units: ${UNITS})`);
  }
  return total;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  return `${+(ms / 60_000).toFixed(2)}m`;
}
