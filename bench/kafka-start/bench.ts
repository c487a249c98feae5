// How long a fresh local Kafka takes to start (storage format, broker JVMs, until a produce with
// acks=all is accepted) and the CPU its broker JVMs used by then, for one node and a 3-node cluster, in
// alternating rounds of one run, in three set-ups:
//   before   no class archive, the JVM's full tiered JIT (how brokers ran before 2026-12-07)
//   archive  the class archive (src/launch/kafka-local/cds.ts), full JIT
//   now      the class archive and only the quick JIT compiler (C1, src/launch/kafka-local/jit.ts)
// For one node it also runs a test-sized load on the fresh broker (kafka-producer-perf-test, 50,000
// records of 200 B, acks=all) and reports the broker's CPU for it and the producer's throughput.
//   node --import tsx bench/kafka-start/bench.ts [--rounds N]
// The archive must exist (any earlier local broker start builds it); the bench builds it if not.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import {
  cdsArchiveFlags,
  kafkaToolArgv,
  resolveKafka,
  startKafka,
} from "../../src/launch/kafka-local/index.js";

const i = process.argv.indexOf("--rounds");
const ROUNDS = i > 0 ? Number(process.argv[i + 1]) : 3;
const TICK_MS = 10; // USER_HZ 100 on Linux

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
}

const SETUPS = {
  before: { FAULTBOX_KAFKA_CDS: "0", FAULTBOX_KAFKA_JIT: "full" },
  archive: { FAULTBOX_KAFKA_CDS: "1", FAULTBOX_KAFKA_JIT: "full" },
  now: { FAULTBOX_KAFKA_CDS: "1", FAULTBOX_KAFKA_JIT: "c1" },
} as const;
type Setup = keyof typeof SETUPS;
interface Run {
  wallMs: number;
  cpuMs: number;
  loadCpuMs?: number;
  recordsPerSec?: number;
}

const install = await resolveKafka(process.env.FAULTBOX_KAFKA_VERSION ?? "4");

async function once(nodes: number, setup: Setup): Promise<Run> {
  const t = performance.now();
  const cluster = await startKafka({ nodes, env: { ...process.env, ...SETUPS[setup] } });
  const run: Run = { wallMs: performance.now() - t, cpuMs: 0 };
  run.cpuMs = cluster.processes.reduce((sum, p) => sum + cpuMs(p.pid), 0);
  if (nodes === 1) {
    const pid = cluster.processes[0]!.pid;
    const [java, ...args] = kafkaToolArgv("kafka-producer-perf-test", install);
    const perf = spawnSync(
      java!,
      [
        ...args,
        ...["--topic", "bench", "--num-records", "50000", "--record-size", "200", "--throughput", "-1"],
        ...["--producer-props", `bootstrap.servers=${cluster.bootstrap}`, "acks=all"],
      ],
      { encoding: "utf8" },
    );
    const summary = perf.stdout.trim().split("\n").pop() ?? "";
    const rate = /([\d.]+) records\/sec/.exec(summary);
    if (perf.status !== 0 || !rate) throw new Error(`the perf producer failed: ${perf.stderr}${perf.stdout}`);
    run.recordsPerSec = Number(rate[1]);
    run.loadCpuMs = cpuMs(pid) - run.cpuMs;
  }
  await cluster.stop();
  return run;
}

if (cdsArchiveFlags(install).length === 0) {
  console.log("no class archive yet: this first start builds it (not counted)");
  await once(1, "now");
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(
  `Kafka ${install.version}, Java ${install.java.major}, ${ROUNDS} round(s), load ${loadavg()[0]!.toFixed(1)}; medians`,
);
console.log(
  "nodes  set-up   start     CPU by then   | 50,000-record produce: broker CPU, records/s | vs before: start, CPU",
);
for (const nodes of [1, 3]) {
  const runs: Record<Setup, Run[]> = { before: [], archive: [], now: [] };
  for (let r = 0; r < ROUNDS; r++)
    for (const setup of Object.keys(SETUPS) as Setup[]) runs[setup].push(await once(nodes, setup));
  const m = (setup: Setup, f: keyof Run) => median(runs[setup].map((x) => x[f] ?? 0));
  for (const setup of Object.keys(SETUPS) as Setup[]) {
    const load =
      nodes === 1
        ? `${s(m(setup, "loadCpuMs")).padEnd(9)} ${m(setup, "recordsPerSec").toFixed(0).padStart(7)}`
        : "";
    console.log(
      `${String(nodes).padEnd(7)}${setup.padEnd(9)}${s(m(setup, "wallMs")).padEnd(10)}${s(m(setup, "cpuMs")).padEnd(14)}| ${load.padEnd(46)}| ` +
        `${(m(setup, "wallMs") / m("before", "wallMs")).toFixed(2)}, ${(m(setup, "cpuMs") / m("before", "cpuMs")).toFixed(2)}`,
    );
  }
}
console.log(`load at the end ${loadavg()[0]!.toFixed(1)}`);
