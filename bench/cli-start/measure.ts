// What the cli-start benchmarks share: one timed run of a command and the small spec they run.
import { spawnSync } from "node:child_process";

/** A spec of two tests and no services. */
export const SMALL_SPEC = `def test_sum():
    assert_eq(len([1, 2, 3]), 3)

def test_strings():
    assert_true("fault" in "faultbox")
`;

export interface Timing {
  wallMs: number;
  /** User + system CPU of the command's process tree (bash's `times` for its children). */
  cpuMs: number;
}

/**
 * Runs `argv` once through bash, its output to `log` (printed, with `what`, in the error if it fails),
 * and returns its wall time and the CPU it used, both in ms.
 */
export function timeCommand(
  argv: string[],
  o: { log: string; what: string; cwd?: string; env?: NodeJS.ProcessEnv },
): Timing {
  const cmd = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const started = process.hrtime.bigint();
  const r = spawnSync("bash", ["-c", `${cmd} >'${o.log}' 2>&1 || cat '${o.log}' >&2; times`], {
    cwd: o.cwd,
    encoding: "utf8",
    env: o.env,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.stderr.trim()) throw new Error(`${o.what} failed: ${r.stderr.trim()}`);
  // `times`: the shell's own user and system time, then its children's.
  const children = r.stdout.trim().split("\n")[1] ?? "";
  const cpuMs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000,
    0,
  );
  return { wallMs, cpuMs };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
