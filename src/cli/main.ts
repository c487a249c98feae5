// Entry point of the `faultbox` command. Each subcommand lives in its own module under src/cli/.
import { readFileSync } from "node:fs";
import { packageFile } from "../core/package-files.js";
import { endQuietlyOnClosedOutput } from "../core/stdio.js";
import { COMMAND_USAGE, wantsHelp } from "./usage.js";

const pkg = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version: string };

const USAGE = `faultbox ${pkg.version}: fault-injection test runner for distributed systems

Usage:
  faultbox test SPEC [--test NAME] [--seed N] [--runs N] [--format json] [--output FILE] [--junit FILE]
                   [--html FILE] [--normalize FILE] [--bundle FILE | --no-bundle] [--timeout SECONDS]
                   [--allow-empty] [--verbose] [--shard I/N] [--pool] [--parallel N] [--dry-run]
                               run a spec (.star, or a TypeScript module .ts/.mts); --dry-run
                               lists the services, tests and matrix cells and starts nothing; a run
                               with a failing test writes a bundle to .faultbox/bundles/
  faultbox merge-reports REPORT.json... [--output FILE] [--junit FILE] [--html FILE]
                               one report from the JSON results of --shard runs
  faultbox replay BUNDLE [--test NAME] [--dir DIR] [--html FILE] [--output FILE] [--normalize FILE]
                               re-run a bundle (on any machine) and compare with its verdicts and trace
  faultbox diff A B            compare two normalized traces (or JSON results, or bundles): exit 0
                               identical, 2 different
  faultbox check SPEC [--format json] [--timeout SECONDS] [--allow-empty]
                               load and validate a spec, check its set-up, run nothing
  faultbox init [BINARY] [--name NAME] [--port N] [--protocol http|tcp] [--output FILE|-]
                               write a starter faultbox.star
  faultbox proxy [--kafka NAME=HOST:PORT]... [--tcp|--http|--postgres ...] [--control [HOST:]PORT]
                               fault proxies with an HTTP control API, for any test suite (--help)
  faultbox starlark FILE       run a plain Starlark file
  faultbox starlark --test FILE
                               run a chunked conformance file (starlark-go convention)
  faultbox --help | --version
  faultbox COMMAND --help      the flags of one command

Exit codes: 0 pass, 1 usage, spec or set-up error, 2 a test failed, 3 inconclusive.`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  test: async () => (await import("./test.js")).run,
  check: async () => (await import("./check.js")).run,
  init: async () => (await import("./init.js")).run,
  starlark: async () => (await import("./starlark.js")).run,
  proxy: async () => (await import("./proxy.js")).run,
  "merge-reports": async () => (await import("./merge-reports.js")).run,
  diff: async () => (await import("./diff.js")).run,
  replay: async () => (await import("./replay.js")).run,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE + "\n");
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(pkg.version + "\n");
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`faultbox: unknown command "${name}"\n\n${USAGE}\n`);
    return 1;
  }
  // Commands without an entry here (proxy) answer --help themselves.
  if (COMMAND_USAGE[name] !== undefined && wantsHelp(rest)) {
    process.stdout.write(COMMAND_USAGE[name] + "\n");
    return 0;
  }
  return (await load())(rest);
}

endQuietlyOnClosedOutput();
process.exitCode = await main(process.argv.slice(2));

// The command is done and has stopped everything it started, so nothing should keep the process alive.
// Should something still do (a leaked socket or timer, a dependency's handle), a finished run must not
// hang on it: say what it was and exit. (Unref'd: when nothing is left, the process ends at once.)
setTimeout(() => {
  const held = process.getActiveResourcesInfo().filter((r) => r !== "Timeout" && r !== "TTYWrap");
  process.stderr.write(
    `faultbox: the run is over, but ${held.join(", ") || "something"} still held the process open after 5 s; exiting anyway (a bug worth reporting)\n`,
  );
  process.exit();
}, 5000).unref();
