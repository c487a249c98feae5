// Free TCP ports on loopback: the primitives (bind and release; where the kernel's ephemeral range
// starts), shared with the launchers (launch/process-guard/free-port.ts), and the pool that serves the
// ports a spec declares synchronously.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

// Free ports for interface(..., 0) and for services' published ports, which a spec declares
// synchronously. Finding one means binding it, which is asynchronous in Node; a child process that binds
// one and prints it costs 50-75 ms (one whole Node start) per port, which made the declarations, not the
// Starlark, most of a spec's load time (~300 ms for examples/orders). So ports are found ahead, bound
// and released here, while the spec's worker starts, and kept in a small pool: preparePorts() fills it,
// and the engine awaits it before each of the spec's declarations. allocatePortSync() takes from the
// pool and falls back to the child process only when the pool is empty (code that declares ports
// without preparing them). A port is handed out once per process, and a pooled one is dropped after a
// minute (a service is about to bind it; one found long ago may be taken since).
//
// Ports come from below the kernel's ephemeral range: a port handed out for "port 0" (our own proxies,
// other processes' listeners and outgoing connections) can then never collide with one of these between
// the spec loading and the service binding it.

const POOL_MAX_AGE_MS = 60_000;
const pool: { port: number; at: number }[] = [];
const handedOut = new Set<number>();
let filling: Promise<void> | undefined;

/** Binds `port` (0: any) on `host` and releases it: the port bound; rejects when it is taken. */
export function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const chosen = typeof address === "object" && address ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}

/** The first port of the kernel's ephemeral range (ip_local_port_range), 32768 where it cannot be read. */
export function ephemeralRangeStart(): number {
  try {
    const first = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 0 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

/** Where the pool's free ports are drawn from: the 12,000 ports below the ephemeral range. */
function portRange(): { from: number; to: number } {
  const low = ephemeralRangeStart();
  return { from: Math.max(1024, low - 12_000), to: low - 1 };
}

async function fill(target: number): Promise<void> {
  const { from, to } = portRange();
  for (let attempt = 0; pool.length < target && attempt < target * 8; attempt++) {
    const pick = to > from && attempt < target * 6 ? from + Math.floor(Math.random() * (to - from)) : 0;
    if (handedOut.has(pick) || pool.some((e) => e.port === pick)) continue;
    const port = await listenOnce(pick, "127.0.0.1").catch(() => undefined);
    if (port !== undefined && !handedOut.has(port) && !pool.some((e) => e.port === port))
      pool.push({ port, at: Date.now() });
  }
}

/**
 * Makes sure at least `min` free ports are pooled for allocatePortSync(), finding up to `target` when
 * fewer are there. Cheap when the pool is full enough; never fails (an empty pool only means the slow way).
 */
export async function preparePorts(min = 4, target = 8): Promise<void> {
  const now = Date.now();
  for (let i = pool.length - 1; i >= 0; i--) if (now - pool[i]!.at > POOL_MAX_AGE_MS) pool.splice(i, 1);
  // A second round when a fill already under way (for a smaller target) left fewer than `min`.
  for (let round = 0; round < 2 && pool.length < min; round++) {
    filling ??= fill(Math.max(min, target)).finally(() => (filling = undefined));
    await filling;
  }
}

/** How many ports preparePorts() has pooled (for tests). */
export function pooledPorts(): number {
  return pool.length;
}

/**
 * A free TCP port on 127.0.0.1, found synchronously (declarations run synchronously in specs): one the
 * pool holds, else one found by a child process.
 */
export function allocatePortSync(): number {
  while (pool.length > 0) {
    const { port, at } = pool.shift()!;
    if (Date.now() - at > POOL_MAX_AGE_MS || handedOut.has(port)) continue;
    handedOut.add(port);
    if (pool.length < 2) void preparePorts(); // refilled while the declarations go on
    return port;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = allocatePortInChild();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("could not allocate a free port: the ports found were all handed out already");
}

function allocatePortInChild(): number {
  const { from, to } = portRange();
  const script = `
const net = require("net");
const from = ${from}, to = ${to};
const attempt = (n) => {
  const port = n > 0 && to > from ? from + Math.floor(Math.random() * (to - from)) : 0;
  const s = net.createServer();
  s.once("error", () => attempt(n - 1));
  s.listen({ port, host: "127.0.0.1", exclusive: true }, () => { process.stdout.write(String(s.address().port)); s.close(); });
};
attempt(50);`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 10_000 });
  const port = Number(r.stdout);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`could not allocate a free port: ${r.stderr}`);
  return port;
}
