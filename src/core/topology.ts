// Static facts about the topology: start order, where each interface listens, and env late binding.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { SpecError } from "./errors.js";
import type { Address } from "./protocol.js";
import type { InterfaceDef, ServiceDef } from "./model.js";

/** Dependencies first; ties keep declaration order. A cycle or unknown name is a spec error. */
export function startOrder(services: ServiceDef[]): ServiceDef[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const order: ServiceDef[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (s: ServiceDef, path: string[]) => {
    const st = state.get(s.name);
    if (st === "done") return;
    if (st === "visiting") {
      throw new SpecError(`services depend on each other in a cycle: ${[...path, s.name].join(" -> ")}`);
    }
    state.set(s.name, "visiting");
    for (const dep of s.dependsOn) {
      const d = byName.get(dep);
      if (!d)
        throw new SpecError(`service "${s.name}" depends_on unknown service "${dep}"`, {
          location: s.location,
        });
      visit(d, [...path, s.name]);
    }
    state.set(s.name, "done");
    order.push(s);
  };
  for (const s of [...services].sort((a, b) => a.index - b.index)) visit(s, []);
  return order;
}

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

/** Where free ports are drawn from: the 12,000 ports below the ephemeral range. */
function portRange(): { from: number; to: number } {
  let low = 32_768;
  try {
    low =
      Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the default range
  }
  return { from: Math.max(1024, low - 12_000), to: low - 1 };
}

/** Binds `port` (0: any) on 127.0.0.1 and releases it: the port, or undefined when it is taken. */
function bindOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : undefined));
    });
  });
}

async function fill(target: number): Promise<void> {
  const { from, to } = portRange();
  for (let attempt = 0; pool.length < target && attempt < target * 8; attempt++) {
    const pick = to > from && attempt < target * 6 ? from + Math.floor(Math.random() * (to - from)) : 0;
    if (handedOut.has(pick) || pool.some((e) => e.port === pick)) continue;
    const port = await bindOnce(pick);
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

export function parseHostPort(text: string, defaultPort?: number): Address {
  const s = text.replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "");
  const idx = s.lastIndexOf(":");
  if (idx < 0) {
    if (defaultPort === undefined) throw new Error(`"${text}" has no port (write host:port)`);
    return { host: normalizeHost(s), port: defaultPort };
  }
  const port = Number(s.slice(idx + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`"${text}" has a bad port`);
  return { host: normalizeHost(s.slice(0, idx)), port };
}

/** `localhost` can resolve to ::1 first; services here listen on IPv4 loopback. */
export function normalizeHost(host: string): string {
  return host === "localhost" || host === "" ? "127.0.0.1" : host;
}

export function formatAddr(a: Address): string {
  return `${a.host}:${a.port}`;
}

export type PlaceholderKind = "ADDR" | "HOST" | "PORT";

/** `.proxy_addr` and friends are unknown at load time; they resolve inside env values at launch. */
export function proxyPlaceholder(kind: PlaceholderKind, service: string, iface: string): string {
  return `__FB_PROXY_${kind}_${service}__${iface}__`;
}

const PLACEHOLDER_RE = /__FB_PROXY_(ADDR|HOST|PORT)_(.+?)__(.+?)__/g;

/** Where another service's interface can be reached, as an env value may spell it. */
export interface EnvUpstream {
  service: string;
  /** Where it really listens now (a substituted image or a port mapping may differ from the spec). */
  addr: Address;
  /** The port the spec declared (what `.addr` / `.port` gave at load time). */
  declaredPort?: number;
}

/**
 * Resolves an env value for `consumer`: proxy placeholders become the proxy's address, and a literal
 * address of another service's proxied interface (`127.0.0.1:5432`, `localhost:5432`) is rewritten
 * to go through its proxy, so steps, faults and the service's own traffic all cross the same proxy.
 * Both the declared port and the real one are recognised: `kafka.broker.addr` names the declared
 * port at load time, while a Kafka image run as a local broker listens elsewhere. One pass, so a
 * rewritten proxy address is never rewritten again.
 */
export function resolveEnvValue(
  value: string,
  consumer: string,
  proxies: Map<string, Address>,
  upstreams: Map<string, EnvUpstream>,
): { value: string; unresolved: string[] } {
  const unresolved: string[] = [];
  const out = value.replace(PLACEHOLDER_RE, (whole, kind: string, svc: string, iface: string) => {
    const p = proxies.get(`${svc}.${iface}`);
    if (!p) {
      unresolved.push(`${svc}.${iface}`);
      return whole;
    }
    return kind === "ADDR" ? formatAddr(p) : kind === "HOST" ? p.host : String(p.port);
  });
  const targets = new Map<string, string>();
  // Real ports first: they win over a declared port that happens to equal another interface's real one.
  for (const pass of ["real", "declared"] as const) {
    for (const [key, up] of upstreams) {
      if (up.service === consumer) continue;
      const proxy = proxies.get(key);
      const port = pass === "real" ? up.addr.port : up.declaredPort;
      if (!proxy || port === undefined || port <= 0) continue;
      for (const host of ["localhost", "127.0.0.1"]) {
        const literal = `${host}:${port}`;
        if (!targets.has(literal)) targets.set(literal, formatAddr(proxy));
      }
    }
  }
  if (targets.size === 0) return { value: out, unresolved };
  const alternatives = [...targets.keys()]
    .sort((a, b) => b.length - a.length)
    .map((l) => l.replace(/\./g, "\\."));
  const re = new RegExp(`(?<![\\w.])(?:${alternatives.join("|")})(?!\\d)`, "g");
  return { value: out.replace(re, (literal) => targets.get(literal)!), unresolved };
}

export function envName(...parts: string[]): string {
  return parts.map((p) => p.toUpperCase().replace(/[^A-Z0-9]/g, "_")).join("_");
}

export function interfaceKey(service: string, iface: string): string {
  return `${service}.${iface}`;
}

export function findInterface(svc: ServiceDef, name: string): InterfaceDef | undefined {
  return svc.interfaces.find((i) => i.name === name);
}
