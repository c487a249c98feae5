// Flag parsing for the subcommands: `--flag value` and `--flag=value`, unknown flags rejected by name,
// a flag that takes one value refused when given twice (only one of the two would count), and a
// single-dash word (`-p 2`) named as the flag it looks like rather than taken for a file.
export class UsageError extends Error {}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string>;
}

/** `spec` maps each flag to whether it takes a value. */
export function parseArgs(argv: string[], spec: Record<string, boolean>): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^-[^-]/.test(a)) {
      const hint = Object.keys(spec).find((f) => f.startsWith(a.slice(1).replace(/=.*/, "")));
      throw new UsageError(
        `unknown flag: ${a}${hint ? ` (did you mean --${hint}?)` : ""}; flags start with --, a file name with - needs ./ before it`,
      );
    }
    if (!a.startsWith("--") || a === "--") {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!(name in spec)) throw new UsageError(`unknown flag: --${name}`);
    if (spec[name]) {
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`flag --${name} needs a value`);
      if (name in flags)
        throw new UsageError(
          `flag --${name} given twice (${JSON.stringify(flags[name])} and ${JSON.stringify(value)}); it takes one value`,
        );
      flags[name] = value;
    } else {
      if (eq >= 0) throw new UsageError(`flag --${name} takes no value`);
      flags[name] = "true";
    }
  }
  return { positional, flags };
}

export function intFlag(flags: Record<string, string>, name: string, min: number): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

/**
 * --test's value: a test name, a glob, or `~` and a regular expression, which must compile (a broken
 * one is a usage error here, not a crash when the tests are picked).
 */
export function testFilterFlag(flags: Record<string, string>): string | undefined {
  const v = flags.test;
  if (v?.startsWith("~")) {
    try {
      new RegExp(v.slice(1));
    } catch (e) {
      throw new UsageError(`--test ${v}: not a valid regular expression: ${(e as Error).message}`);
    }
  }
  return v;
}
