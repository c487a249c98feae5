// Usage text of each subcommand: `faultbox CMD --help` prints it, `faultbox --help` lists them all.
export const COMMAND_USAGE: Record<string, string> = {
  test: `Usage: faultbox test [SPEC] [flags]
  Runs a spec (.star, or a TypeScript module .ts/.mts); SPEC defaults to ./faultbox.star, and a
  directory stands for the faultbox.star in it.

  --test NAME        run only matching tests: a name (with or without test_), a glob, ~regex,
                     or matrix_<scenario> for a whole matrix row
  --seed N           seed of every random choice (probabilistic faults, generated names); printed
                     when generated, so any run can be replayed
  --runs N           run each test up to N times, stopping at its first failing run; every run has
                     its own seed (derived from --seed), and a failure prints the seed of the run
                     that failed in its replay command
  --timeout SECONDS  time limit of each test (default: 300, or the test's own timeout=) and of
                     loading the spec (default: 60)
  --shard I/N        run only shard I of N (round robin over the name-sorted tests), for CI
                     matrices; faultbox merge-reports joins the shards' JSON results
  --parallel N       run N tests at once, each with its own services, ports, proxies and logs
                     (the spec is loaded once per lane); results in the serial order
  --pool             while a test runs, start the next test's fresh services (bounded by memory);
                     with --parallel N, one warming lane per running test
  --allow-empty      a spec that declares no tests passes (by default it is an error)
  --format json      print the JSON result document on stdout (human output goes to stderr)
  --output FILE      write the JSON result document to FILE
  --junit FILE       write JUnit XML to FILE
  --html FILE        write a self-contained HTML report to FILE (timeline, plots; docs/reports.md)
  --normalize FILE   write the normalized trace (stable, timing-free; compare with faultbox diff)
  --dry-run          list the services, tests and matrix cells a run would have, and start nothing
  --bundle FILE      write a bundle (spec, seed, results, environment, replay script) to FILE;
                     a run with a failed or inconclusive test writes one to $FAULTBOX_BUNDLE_DIR
                     or .faultbox/bundles/ by default, which keeps the newest 20
                     ($FAULTBOX_KEEP_BUNDLES); faultbox replay runs it again
  --no-bundle        write no bundle by default
  --verbose          echo every service's output lines

  Exit codes: 0 all passed, 1 usage, spec or set-up error, 2 a test failed, 3 inconclusive only
  (a test timed out, or the run was interrupted).`,
  check: `Usage: faultbox check [SPEC] [flags]
  Loads and validates a spec and checks that its services can be set up (binaries exist, images
  have a container engine or a local stand-in); runs nothing. SPEC defaults to ./faultbox.star,
  and a directory stands for the faultbox.star in it.

  --timeout SECONDS  time limit of loading the spec (default: 60)
  --allow-empty      a spec that declares no tests is fine (by default it is an error)
  --format json      print the findings as JSON

  Exit codes: 0 the spec is fine (warnings allowed), 1 it is not.`,
  init: `Usage: faultbox init [BINARY] [flags]
  Writes a starter faultbox.star for the service BINARY (default ./my-service); never overwrites.

  --name NAME        the service's name (a Starlark identifier; default app)
  --port N           the port it listens on (default 8080)
  --protocol P       http or tcp (default http)
  --output FILE      where to write it (default faultbox.star; - for stdout)`,
  starlark: `Usage: faultbox starlark FILE
       faultbox starlark --test [--mode=exec|parse|resolve] FILE
  Runs a plain Starlark file (Faultbox's dialect; load() relative to the file), or with --test a
  chunked conformance file in starlark-go's test convention.`,
  diff: `Usage: faultbox diff A B
  Compares two normalized traces. A and B may each be a normalized trace (faultbox test
  --normalize), a JSON result (--output, --format json; normalized first) or a bundle (--bundle;
  its trace). Prints "traces are identical", or a unified diff whose hunks name the test and lane.

  Exit codes: 0 identical, 2 different, 1 a file cannot be read or is none of these.`,
  replay: `Usage: faultbox replay BUNDLE [flags]
  Unpacks a bundle (written by faultbox test --bundle FILE, or by default after a failing run into
  .faultbox/bundles/), runs its spec with the bundle's seed and options, and compares the verdicts
  and the normalized trace with the bundle's.

  --test NAME        run only matching tests of the bundle's spec (faultbox test --help has the forms)
  --dir DIR          unpack into DIR and keep it (by default a temporary folder, removed afterwards)
  --format json      print the replay's JSON result document on stdout
  --output FILE      write the replay's JSON result document to FILE
  --junit FILE       write JUnit XML to FILE
  --html FILE        write the replay's HTML report to FILE
  --normalize FILE   write the replay's normalized trace to FILE
  --verbose          echo every service's output lines

  Exit codes: the replayed run's (0 pass, 2 a test failed, 3 inconclusive); 1 when BUNDLE cannot
  be read or its spec cannot be loaded.`,
};

/** True when the arguments ask for help (`--help` or `-h` anywhere before a `--`). */
export function wantsHelp(args: string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}
