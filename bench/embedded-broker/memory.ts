// Benchmark: memory the embedded broker keeps per stored batch, this tree against the layout before
// batches were stored in segments (one Buffer per batch, from Node's shared pool), in one run.
//
//   node --import tsx bench/embedded-broker/memory.ts [--batches 20000] [--rounds 3] [--baseline REV]
//
// Each measurement is a fresh process (node --expose-gc): an embedded broker takes N one-record batches
// (about 80 bytes each) as Produce requests over a socket, pipelined 100 at a time as a client sends
// them; after the client has gone and two full GCs, the growth of the V8 heap and of ArrayBuffer memory
// (Buffers) is divided by N. The baseline's sources come from git (`git archive REV src`) into
// .cache/bench-baseline/REV/, so they run with this tree's node_modules.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  API_KEYS,
  encodeRecordBatch,
  encodeRequest,
  FrameReader,
} from "../../src/protocols/kafka/wire/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : dflt;
};

// The last commit whose partition log kept one Buffer (and one object with three bigints) per batch.
const BASELINE = "85f1083";

interface Figures {
  heap: number;
  buffers: number;
  total: number;
}

if (args[0] === "--child") {
  console.log(JSON.stringify(await measure(args[1]!, Number(args[2]))));
} else {
  await main();
}

async function main(): Promise<void> {
  const batches = Number(flag("--batches", "20000"));
  const rounds = Number(flag("--rounds", "3"));
  const baseline = flag("--baseline", BASELINE);
  const baselineRoot = join(root, ".cache", "bench-baseline", baseline);
  if (!existsSync(join(baselineRoot, "src"))) {
    mkdirSync(baselineRoot, { recursive: true });
    execFileSync("sh", ["-c", 'git -C "$0" archive "$1" src | tar -x -C "$2"', root, baseline, baselineRoot]);
  }
  const rev = (r: string) =>
    execFileSync("git", ["-C", root, "rev-parse", "--short", r], { encoding: "utf8" }).trim();
  console.log(
    `embedded broker memory per stored one-record batch (${batches} batches, median of ${rounds} fresh processes)`,
  );
  const runs: Record<string, Figures[]> = { before: [], after: [] };
  for (let r = 0; r < rounds; r++) {
    runs.before!.push(child(baselineRoot, batches));
    runs.after!.push(child(root, batches));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const row = (label: string, fs: Figures[]) => {
    const [heap, buffers, total] = (["heap", "buffers", "total"] as const).map((k) =>
      median(fs.map((f) => f[k])),
    );
    console.log(
      `${label.padEnd(34)} ${heap!.toFixed(0).padStart(8)} ${buffers!.toFixed(0).padStart(10)} ${total!.toFixed(0).padStart(8)}   ${((total! * batches) / 2 ** 20).toFixed(1).padStart(6)} MiB`,
    );
    return total!;
  };
  console.log(
    `${"".padEnd(34)} ${"heap B".padStart(8)} ${"buffers B".padStart(10)} ${"total B".padStart(8)}   for all`,
  );
  const before = row(`before (${rev(baseline)}, a Buffer per batch)`, runs.before!);
  const after = row("after (this tree, segments + index)", runs.after!);
  console.log(`after/before: ${(after / before).toFixed(2)}`);
}

function child(srcRoot: string, batches: number): Figures {
  const r = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), "--child", srcRoot, String(batches)],
    { encoding: "utf8", cwd: root },
  );
  if (r.status !== 0) throw new Error(`measuring ${srcRoot} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Figures;
}

async function measure(srcRoot: string, batches: number): Promise<Figures> {
  const broker = (await import(
    pathToFileURL(join(srcRoot, "src/protocols/kafka/broker/index.ts")).href
  )) as typeof import("../../src/protocols/kafka/broker/index.js");
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc");
  const usage = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed, buffers: m.arrayBuffers };
  };
  const kafka = await broker.startEmbeddedKafka({ topics: [{ name: "t", partitions: 1 }] });
  const [host, port] = kafka.bootstrap.split(":") as [string, string];
  await produce(host, Number(port), 100, 0); // connections, handlers and pools warmed up
  const before = usage();
  await produce(host, Number(port), batches, 100);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const after = usage();
  if (kafka.endOffset("t", 0) !== BigInt(100 + batches)) throw new Error("not every batch was stored");
  await kafka.close();
  const heap = (after.heap - before.heap) / batches;
  const buffers = (after.buffers - before.buffers) / batches;
  return { heap, buffers, total: heap + buffers };
}

/** Sends `count` Produce requests of one one-record batch each, `window` in flight; resolves when all are answered. */
function produce(host: string, port: number, count: number, offset: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const frames = new FrameReader();
    let sent = 0;
    let answered = 0;
    const send = () => {
      while (sent < count && sent - answered < 100) {
        const i = offset + sent++;
        const records = encodeRecordBatch([{ value: Buffer.from(`value-${i}`) }]);
        socket.write(
          encodeRequest(API_KEYS.Produce, 9, i, "memory-bench", {
            transactionalId: null,
            acks: 1,
            timeoutMs: 5000,
            topicData: [{ name: "t", partitionData: [{ index: 0, records }] }],
          }),
        );
      }
    };
    socket.on("connect", send);
    socket.on("data", (chunk: Buffer) => {
      answered += frames.push(chunk).length;
      if (answered === count) socket.end(() => resolve());
      else send();
    });
    socket.on("error", reject);
  });
}
