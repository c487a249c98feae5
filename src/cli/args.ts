// Flag parsing for the subcommands: `--flag value` and `--flag=value`, unknown flags rejected by name.
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
