// Static facts about the topology: start order, where each interface listens, and env late binding.
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
