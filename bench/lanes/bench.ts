// Serial vs --pool vs --pool --parallel 2, in one run, on real Apache Kafka: the orders example
// (examples/orders, correct mode: PostgreSQL, Kafka and two services fresh per test) and a 12-cell
// fault matrix (bench/lanes/matrix.star: a fresh broker per cell). Prints each mode's wall time (the
// whole `faultbox test` process, spec loading included), the time the lanes saved by faultbox's own
// account, and the verdicts, which must be the same in every mode.
//   node --import tsx bench/lanes/bench.ts [--rounds N] [--only orders|matrix]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ROUNDS = Number(arg("rounds") ?? 1);
const specs = [
  { name: "orders (correct)", file: "examples/orders/faultbox.star", env: { ORDERS_MODE: "correct" } },
  { name: "12-cell matrix", file: "bench/lanes/matrix.star", env: {} },
].filter((s) => !arg("only") || s.name.startsWith(arg("only")!));
const modes = [
  { name: "serial", flags: [] as string[] },
  { name: "pool", flags: ["--pool"] },
  { name: "pool + parallel 2", flags: ["--pool", "--parallel", "2"] },
];

interface Outcome {
  wallMs: number;
  verdicts: string;
  pass: number;
  fail: number;
  savedMs?: number;
}

function runOnce(spec: (typeof specs)[number], flags: string[]): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-bench-lanes-"));
  const out = join(dir, "result.json");
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(root, "bin/faultbox.js"),
        "test",
        join(root, spec.file),
        "--seed",
        "42",
        "--output",
        out,
        ...flags,
      ],
      { cwd: root, env: { ...process.env, ...spec.env }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      try {
        const doc = JSON.parse(readFileSync(out, "utf8")) as {
          pass: number;
          fail: number;
          tests: { name: string; result: string }[];
          lanes?: { saved_ms: number };
        };
        resolve({
          wallMs,
          verdicts: doc.tests.map((t) => `${t.name}=${t.result}`).join(" "),
          pass: doc.pass,
          fail: doc.fail,
          ...(doc.lanes ? { savedMs: doc.lanes.saved_ms } : {}),
        });
      } catch {
        reject(new Error(`${spec.file} ${flags.join(" ")} exited ${code} without a result:\n${stderr}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
for (const spec of specs) {
  const outcomes = modes.map(() => [] as Outcome[]);
  const loads: string[] = [];
  // Modes alternate within each round, so load on the machine falls on all of them alike.
  for (let r = 0; r < ROUNDS; r++)
    for (const [i, mode] of modes.entries()) {
      loads.push(loadavg()[0]!.toFixed(1));
      outcomes[i]!.push(await runOnce(spec, mode.flags));
    }
  console.log(
    `\n${spec.name}: ${spec.file}, median of ${ROUNDS} round(s), load average at the starts ${loads.join(" ")}`,
  );
  const serialVerdicts = outcomes[0]![0]!.verdicts;
  for (const [i, mode] of modes.entries()) {
    const o = outcomes[i]!;
    const wall = median(o.map((x) => x.wallMs));
    const saved = o[0]!.savedMs !== undefined ? `, lanes saved ${s(median(o.map((x) => x.savedMs!)))}` : "";
    const same = o.every((x) => x.verdicts === serialVerdicts)
      ? "same verdicts as serial"
      : "VERDICTS DIFFER";
    console.log(
      `  ${mode.name.padEnd(18)} ${s(wall).padStart(8)}  (${(median(outcomes[0]!.map((x) => x.wallMs)) / wall).toFixed(2)}x serial${saved})  ${o[0]!.pass} passed, ${o[0]!.fail} failed; ${same}`,
    );
    if (!o.every((x) => x.verdicts === serialVerdicts)) for (const x of o) console.log(`      ${x.verdicts}`);
  }
  console.log(`  serial verdicts: ${serialVerdicts}`);
}
