// Memory of a `faultbox proxy` process (one Kafka proxy, the control API), idle and under load, side
// by side in one run:
//   node --import tsx bench/proxy-memory/bench.ts [--records N] [--record-size B] [--rounds N]
// Variants:
//   bundle          faultbox proxy as it runs now: plain JavaScript, the proxy.js entry of the command's
//                   bundle (bin/bundle.js)
//   tsx (before)    the same sources run through tsx, as every faultbox command did before
//                   (FAULTBOX_NO_BUNDLE=1)
//   bundle, semi=1  the bundle with V8's young generation capped (node --max-semi-space-size=1): how
//                   much of the growth under load is the young generation
//   node idle       `node -e` doing nothing: the floor of any Node process on this machine
// Load: Kafka's own kafka-producer-perf-test through the proxy (saturated, acks=1), then a
// kafka-consumer-perf-test reading it back. RSS is read from /proc every 100 ms: idle (3 s after
// start), the peak under load, and 5 s after the load ended.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { useKafka, kafkaTool } from "../../test/support/index.js";
import { runCommand } from "../../test/support/run-command.js";
import { createTopic, uniqueTopic } from "../../test/integration/kafka-proxy/helpers.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const RECORDS = Number(opt("records", "300000"));
const RECORD_SIZE = Number(opt("record-size", "200"));
const ROUNDS = Number(opt("rounds", "1"));
const BIN = fileURLToPath(new URL("../../bin/faultbox.js", import.meta.url));

const MiB = (kb: number) => kb / 1024;

function rssKb(pid: number): { rss: number; anon: number; file: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: field("VmRSS"), anon: field("RssAnon"), file: field("RssFile") };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a Kafka tool to completion; its output, or an error with it. */
async function runTool(argv: string[]): Promise<string> {
  const r = await runCommand(argv, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`${argv.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

interface Variant {
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** False: no proxy (the node floor), idle only. */
  proxy: boolean;
}

/** Starts the variant; resolves with the child and the Kafka bootstrap address it listens on. */
async function start(v: Variant, upstream: string): Promise<{ child: ChildProcess; listen?: string }> {
  const child = spawn(
    v.argv[0]!,
    [
      ...v.argv.slice(1),
      ...(v.proxy ? ["--kafka", `kafka=${upstream}`, "--control", "127.0.0.1:0", "--log", "json"] : []),
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...v.env },
    },
  );
  if (!v.proxy) return { child };
  return new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout!.on("data", (c: Buffer) => {
      buffered += c.toString("utf8");
      const line = buffered.split("\n").find((l) => l.includes('"type":"ready"'));
      if (line) {
        const ready = JSON.parse(line) as { proxies: { listen: string }[] };
        buffered = "";
        resolve({ child, listen: ready.proxies[0]!.listen });
      } else if (buffered.length > 1 << 20) buffered = "";
    });
    child.on("exit", (code) => reject(new Error(`${v.name} exited ${code} before it was ready`)));
  });
}

interface Figures {
  idle: number;
  idleAnon: number;
  idleFile: number;
  peak: number;
  peakAnon: number;
  after: number;
  producerRecordsPerSec?: number;
}

async function measure(v: Variant, upstream: string): Promise<Figures> {
  const { child, listen } = await start(v, upstream);
  const pid = child.pid!;
  try {
    await sleep(3000);
    const idle = rssKb(pid);
    if (!v.proxy || !listen)
      return {
        idle: idle.rss,
        idleAnon: idle.anon,
        idleFile: idle.file,
        peak: NaN,
        peakAnon: NaN,
        after: NaN,
      };
    let peak = idle.rss;
    let peakAnon = idle.anon;
    const sampler = setInterval(() => {
      const r = rssKb(pid);
      peak = Math.max(peak, r.rss);
      peakAnon = Math.max(peakAnon, r.anon);
    }, 100);
    const topic = uniqueTopic("mem");
    await createTopic(upstream, topic, 1);
    const producer = await kafkaTool("kafka-producer-perf-test", "4");
    const out = await runTool([
      ...producer,
      "--topic",
      topic,
      "--num-records",
      String(RECORDS),
      "--record-size",
      String(RECORD_SIZE),
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${listen}`,
      "acks=1",
      "linger.ms=5",
    ]);
    const consumer = await kafkaTool("kafka-consumer-perf-test", "4");
    await runTool([
      ...consumer,
      "--bootstrap-server",
      listen,
      "--topic",
      topic,
      "--messages",
      String(RECORDS),
      "--timeout",
      "60000",
    ]);
    clearInterval(sampler);
    await sleep(5000);
    const after = rssKb(pid).rss;
    const m = /records sent, ([\d.]+) records\/sec/.exec(
      out
        .trim()
        .split("\n")
        .filter((l) => /records sent/.test(l))
        .pop() ?? "",
    );
    return {
      idle: idle.rss,
      idleAnon: idle.anon,
      idleFile: idle.file,
      peak,
      peakAnon,
      after,
      ...(m ? { producerRecordsPerSec: Number(m[1]) } : {}),
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

const kafka = await useKafka({ version: "4" });
const upstream = kafka.bootstrap.split(",")[0]!;
const node = process.execPath;
const variants: Variant[] = [
  { name: "bundle", argv: [node, BIN, "proxy"], proxy: true },
  { name: "tsx (before)", argv: [node, BIN, "proxy"], env: { FAULTBOX_NO_BUNDLE: "1" }, proxy: true },
  { name: "bundle, semi=1", argv: [node, "--max-semi-space-size=1", BIN, "proxy"], proxy: true },
  { name: "node idle", argv: [node, "-e", "setInterval(() => {}, 1 << 30)"], proxy: false },
];

console.log(
  `faultbox proxy memory (RSS, MiB), Kafka ${kafka.version}, load: ${RECORDS} records of ${RECORD_SIZE} B ` +
    `produced (perf test, acks=1) and consumed through the proxy; ${ROUNDS} round(s)\n`,
);
const rows: string[][] = [
  [
    "variant",
    "idle",
    "idle anon",
    "idle file",
    "peak under load",
    "peak anon",
    "5 s after",
    "producer rec/s",
  ],
];
for (let round = 1; round <= ROUNDS; round++) {
  for (const v of variants) {
    const f = await measure(v, upstream);
    const n = (x: number) => (Number.isNaN(x) ? "-" : MiB(x).toFixed(1));
    rows.push([
      ROUNDS > 1 ? `${v.name} #${round}` : v.name,
      n(f.idle),
      n(f.idleAnon),
      n(f.idleFile),
      n(f.peak),
      n(f.peakAnon),
      n(f.after),
      f.producerRecordsPerSec ? String(Math.round(f.producerRecordsPerSec)) : "-",
    ]);
  }
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows)
  console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
console.log(
  "\nanon: private memory (heap, young generation, buffers); file: pages of the node binary and libraries." +
    "\nGo Faultbox's proxy for comparison (issue 17): 12-18 MiB.",
);
process.exit(0);
