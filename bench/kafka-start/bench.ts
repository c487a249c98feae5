// How long a fresh local Kafka takes to start (storage format, broker JVMs, until a produce with
// acks=all is accepted), with and without the class archive (src/launch/kafka-local/cds.ts), for one
// node and a 3-node cluster, in alternating rounds of one run. Also the CPU the brokers' JVMs had used
// by then, which is what a busy 2-core machine pays for every fresh broker.
//   node --import tsx bench/kafka-start/bench.ts [--rounds N]
// The archive must exist (any earlier local broker start builds it); the bench says so if not.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { cdsArchiveFlags, resolveKafka, startKafka } from "../../src/launch/kafka-local/index.js";

const i = process.argv.indexOf("--rounds");
const ROUNDS = i > 0 ? Number(process.argv[i + 1]) : 3;
const TICK_MS = 10; // USER_HZ 100 on Linux

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
}

async function once(nodes: number, cds: boolean): Promise<{ wallMs: number; cpuMs: number }> {
  const env = { ...process.env, FAULTBOX_KAFKA_CDS: cds ? "1" : "0" };
  const t = performance.now();
  const cluster = await startKafka({ nodes, env });
  const wallMs = performance.now() - t;
  const cpu = cluster.processes.reduce((sum, p) => sum + cpuMs(p.pid), 0);
  await cluster.stop();
  return { wallMs, cpuMs: cpu };
}

const install = await resolveKafka(process.env.FAULTBOX_KAFKA_VERSION ?? "4");
if (cdsArchiveFlags(install).length === 0) {
  console.log("no class archive yet: this first start builds it (not counted)");
  await once(1, true);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `Kafka ${install.version}, Java ${install.java.major}, ${ROUNDS} round(s), load ${loadavg()[0]!.toFixed(1)}`,
);
console.log("nodes  archive  start (median, all runs)                 broker JVMs' CPU by then (median)");
for (const nodes of [1, 3]) {
  const runs: Record<string, { wallMs: number; cpuMs: number }[]> = { off: [], on: [] };
  for (let r = 0; r < ROUNDS; r++) {
    runs.off!.push(await once(nodes, false));
    runs.on!.push(await once(nodes, true));
  }
  for (const k of ["off", "on"] as const) {
    const w = runs[k]!.map((x) => x.wallMs);
    const c = runs[k]!.map((x) => x.cpuMs);
    console.log(
      `${String(nodes).padEnd(7)}${k.padEnd(9)}${(median(w) / 1000).toFixed(2)} s (${w.map((x) => (x / 1000).toFixed(2)).join(", ")})`.padEnd(
        57,
      ) + `${(median(c) / 1000).toFixed(2)} s`,
    );
  }
  const ratio = median(runs.on!.map((x) => x.wallMs)) / median(runs.off!.map((x) => x.wallMs));
  const cpuRatio = median(runs.on!.map((x) => x.cpuMs)) / median(runs.off!.map((x) => x.cpuMs));
  console.log(
    `${String(nodes).padEnd(7)}on/off   ${ratio.toFixed(2)} of the time, ${cpuRatio.toFixed(2)} of the CPU`,
  );
}
console.log(`load at the end ${loadavg()[0]!.toFixed(1)}`);
