// Service lifecycle across a suite: proxies (suite-scoped, so addresses stay stable for reused services),
// start in dependency order with healthchecks, fresh per test unless reuse=True, stop in reverse order.
import { ServiceStartError, errorMessage } from "./errors.js";
import type { EventLog } from "./events.js";
import { waitHealthy } from "./healthcheck.js";
import { getLauncher, launchKind, type RunningProcess } from "./launcher.js";
import type { ProxyRule, ServiceDef, Suite } from "./model.js";
import { getProtocol, type Address, type ProtocolProxy } from "./protocol.js";
import type { Rng } from "./random.js";
import { getSyscallController, type SyscallSession } from "./syscall.js";
import {
  envName,
  formatAddr,
  interfaceKey,
  parseHostPort,
  resolveEnvValue,
  startOrder,
  type EnvUpstream,
} from "./topology.js";

export interface RunningService {
  def: ServiceDef;
  process: RunningProcess;
  syscall?: SyscallSession;
  /** Set when the process exited on its own. */
  exitedEarly?: string;
}

interface ProxyEntry {
  service: string;
  iface: string;
  protocol: string;
  proxy: ProtocolProxy;
  /** Rules currently installed, in order (windows remove theirs and re-install the rest). */
  rules: ProxyRule[];
}

export class ServiceManager {
  private readonly order: ServiceDef[];
  readonly running = new Map<string, RunningService>();
  private readonly proxies = new Map<string, ProxyEntry>();
  private log: EventLog | undefined;
  private readonly lines: string[] = [];

  constructor(
    private readonly suite: Suite,
    private readonly rng: Rng,
    private readonly options: {
      stopGraceMs: number;
      signal: AbortSignal;
      echo?: (svc: string, line: string) => void;
    },
  ) {
    this.order = startOrder(suite.services);
  }

  /** Where an interface really listens (no proxy). */
  upstream(svc: ServiceDef, iface: string): Address {
    const i = svc.interfaces.find((x) => x.name === iface);
    if (!i) throw new Error(`service "${svc.name}" has no interface "${iface}"`);
    const live = this.running.get(svc.name)?.process.addresses[iface];
    if (live) return live;
    if (svc.remote) return parseHostPort(svc.remote, i.port);
    if (svc.image) return { host: "127.0.0.1", port: svc.ports[i.port] || i.port };
    return { host: "127.0.0.1", port: i.port };
  }

  /** The address steps use: the proxy when one runs, else the service. */
  stepTarget(svc: ServiceDef, iface: string): Address {
    return this.proxies.get(interfaceKey(svc.name, iface))?.proxy.listen ?? this.upstream(svc, iface);
  }

  proxyFor(service: string, iface: string): ProxyEntry | undefined {
    return this.proxies.get(interfaceKey(service, iface));
  }

  /** Starts a proxy in front of every proxy-capable interface. Failure to start one only warns. */
  async startProxies(warn: (msg: string) => void): Promise<void> {
    for (const svc of this.order) {
      for (const i of svc.interfaces) {
        const plugin = getProtocol(i.protocol);
        if (!plugin?.proxy) continue;
        try {
          const proxy = await plugin.proxy({
            upstream: this.upstream(svc, i.name),
            seed: this.rng.fork(`proxy:${svc.name}.${i.name}`).seed,
            listenHost: "127.0.0.1",
            onEvent: (type, data) => this.log?.append(type, svc.name, { interface: i.name, ...data }),
          });
          this.proxies.set(interfaceKey(svc.name, i.name), {
            service: svc.name,
            iface: i.name,
            protocol: i.protocol,
            proxy,
            rules: [],
          });
        } catch (err) {
          warn(`proxy for ${svc.name}.${i.name} did not start: ${errorMessage(err)}; steps go direct`);
        }
      }
    }
  }

  /** The environment a service is launched with. */
  buildEnv(svc: ServiceDef): { env: Record<string, string>; unresolved: string[] } {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    const proxies = new Map<string, Address>();
    const upstreams = new Map<string, EnvUpstream>();
    for (const other of this.suite.services) {
      for (const i of other.interfaces) {
        const key = interfaceKey(other.name, i.name);
        const up = this.upstream(other, i.name);
        // The declared port too: `.addr` named it at load, and an image run another way (a local Kafka
        // standing in for a Kafka image) or a port mapping listens elsewhere.
        upstreams.set(key, { service: other.name, addr: up, declaredPort: i.port });
        const p = this.proxies.get(key);
        if (p) proxies.set(key, p.proxy.listen);
        // A service reaches its own interfaces directly; everyone else goes through the proxy.
        const seen = other.name === svc.name ? up : (p?.proxy.listen ?? up);
        env[envName("FAULTBOX", other.name, i.name, "HOST")] = seen.host;
        env[envName("FAULTBOX", other.name, i.name, "PORT")] = String(seen.port);
        env[envName("FAULTBOX", other.name, i.name, "ADDR")] = formatAddr(seen);
      }
    }
    const unresolved: string[] = [];
    for (const [k, v] of Object.entries(svc.env)) {
      const r = resolveEnvValue(v, svc.name, proxies, upstreams);
      env[k] = r.value;
      unresolved.push(...r.unresolved);
    }
    return { env, unresolved };
  }

  /** Starts (or re-announces reused) services for a test, in dependency order. */
  async startAll(log: EventLog, warn: (msg: string) => void): Promise<void> {
    this.log = log;
    for (const svc of this.order) {
      const existing = this.running.get(svc.name);
      if (existing && svc.reuse && !existing.exitedEarly) {
        log.append("service_started", svc.name, { mode: "reused" });
        log.append("service_ready", svc.name, { mode: "reused" });
        this.announceProxies(svc, "reused");
        const hook = svc.reset ?? svc.seed;
        if (hook) {
          try {
            await hook();
          } catch (err) {
            throw new Error(`reset service "${svc.name}": ${errorMessage(err)}`);
          }
          log.append("service_reset", svc.name, {});
        }
        continue;
      }
      if (existing) await this.stopOne(existing);
      await this.launch(svc, log, warn);
      this.announceProxies(svc, "passthrough");
      if (svc.seed) {
        try {
          await svc.seed();
        } catch (err) {
          throw new Error(`seed service "${svc.name}": ${errorMessage(err)}`);
        }
        log.append("service_seed", svc.name, {});
      }
    }
  }

  private announceProxies(svc: ServiceDef, mode: string): void {
    for (const i of svc.interfaces) {
      const p = this.proxies.get(interfaceKey(svc.name, i.name));
      if (!p) continue;
      this.log?.append(mode === "reused" ? "proxy_active" : "proxy_started", svc.name, {
        interface: i.name,
        protocol: i.protocol,
        listen: formatAddr(p.proxy.listen),
        target: formatAddr(this.upstream(svc, i.name)),
        mode,
      });
    }
  }

  private async launch(svc: ServiceDef, log: EventLog, warn: (msg: string) => void): Promise<void> {
    const kind = launchKind(svc);
    const launcher = getLauncher(kind);
    if (!launcher) throw new ServiceStartError(svc.name, `no launcher registered for ${kind} services`);
    const { env, unresolved } = this.buildEnv(svc);
    for (const u of new Set(unresolved)) {
      warn(`service "${svc.name}": env references the proxy of ${u}, which is not running; left unresolved`);
    }
    const syscalls = this.suite.syscallTargets?.get(svc.name);
    let wrapper;
    if (syscalls && syscalls.size > 0 && kind !== "remote") {
      const controller = getSyscallController();
      if (!controller)
        throw new ServiceStartError(
          svc.name,
          "syscall faults target this service, but no syscall controller is available",
        );
      wrapper = await controller.wrap({
        service: svc.name,
        syscalls: [...syscalls].sort(),
        seed: this.rng.fork(`syscall:${svc.name}`).seed,
        emit: (type, data) => this.log?.append(type, svc.name, data),
      });
    }
    const ownLines: string[] = [];
    let proc: RunningProcess;
    try {
      proc = await launcher.launch({
        service: svc,
        env,
        wrapper,
        onLine: (stream, line) => {
          ownLines.push(line);
          if (ownLines.length > 50) ownLines.shift();
          this.options.echo?.(svc.name, line);
          this.emitLine(svc, stream, line);
        },
      });
    } catch (err) {
      wrapper?.dispose?.();
      throw new ServiceStartError(
        svc.name,
        `service "${svc.name}" could not be launched: ${errorMessage(err)}`,
      );
    }
    const entry: RunningService = { def: svc, process: proc };
    this.running.set(svc.name, entry);
    for (const i of svc.interfaces) {
      await this.proxies.get(interfaceKey(svc.name, i.name))?.proxy.retarget?.(this.upstream(svc, i.name));
    }
    const exited = proc.exited.then(({ code, signal }) => {
      const reason = `service "${svc.name}" exited${signal ? ` on ${signal}` : ` with code ${code}`}`;
      entry.exitedEarly = reason;
      return reason;
    });
    if (wrapper && proc.pid !== undefined) entry.syscall = await wrapper.attach(proc.pid);
    log.append("service_started", svc.name, kind === "binary" ? {} : { kind });
    if (svc.healthcheck) {
      const hc = svc.healthcheck;
      // kafka_ready() without an address probes the service's first interface of its protocol.
      const first =
        (hc.kind === "protocol" ? svc.interfaces.find((i) => i.protocol === hc.protocol) : undefined) ??
        svc.interfaces[0];
      const plugin = first ? getProtocol(first.protocol) : undefined;
      try {
        await waitHealthy({
          check: resolveHealthcheckPorts(svc, proc),
          readyTarget: first
            ? { address: this.upstream(svc, first.name), probe: plugin?.healthcheck }
            : undefined,
          ctx: { serviceEnv: svc.env, signal: this.options.signal },
          exited: exited.then((r) => `${r} before becoming ready`),
        });
      } catch (err) {
        throw new ServiceStartError(
          svc.name,
          `service "${svc.name}" not ready: ${errorMessage(err)}`,
          proc.lastLines(10),
        );
      }
      log.append("service_ready", svc.name, {});
    }
  }

  private emitLine(svc: ServiceDef, stream: "stdout" | "stderr", line: string): void {
    if (line.trim() === "") return;
    const source = svc.observe.find((o) => o.kind === stream);
    const decoder = source && source.kind !== "observer" ? source.decoder : undefined;
    let data: Record<string, unknown>;
    if (!decoder) data = { raw: line };
    else {
      try {
        data = decoder.decode(line);
      } catch {
        data = { raw: line };
      }
    }
    this.log?.append(stream, svc.name, data);
  }

  lastLines(service: string, n: number): string[] {
    return this.running.get(service)?.process.lastLines(n) ?? this.lines.slice(-n);
  }

  /** After a test: stop fresh services (reverse order), keep reused ones, clear every proxy's rules. */
  async afterTest(): Promise<void> {
    for (const p of this.proxies.values()) {
      p.proxy.clearRules();
      p.rules = [];
    }
    for (const svc of [...this.order].reverse()) {
      const r = this.running.get(svc.name);
      if (!r) continue;
      if (svc.reuse && !r.exitedEarly) {
        if (r.syscall) await r.syscall.clearRules().catch(() => undefined);
        continue;
      }
      await this.stopOne(r);
    }
  }

  private async stopOne(r: RunningService): Promise<void> {
    this.running.delete(r.def.name);
    await r.syscall?.close().catch(() => undefined);
    await r.process.stop(this.options.stopGraceMs).catch(() => undefined);
  }

  /** End of suite (or interrupt): stop everything, close proxies. */
  async shutdown(): Promise<void> {
    for (const svc of [...this.order].reverse()) {
      const r = this.running.get(svc.name);
      if (r) await this.stopOne(r);
    }
    for (const p of this.proxies.values()) await p.proxy.close().catch(() => undefined);
    this.proxies.clear();
  }

  /** Installs a window's rule on a proxy. */
  addRule(entry: ProxyEntry, rule: ProxyRule): void {
    entry.rules.push(rule);
    entry.proxy.addRule(rule);
  }

  /** Removes one window's rules and re-installs the others (nested windows keep theirs). */
  removeRules(entry: ProxyEntry, rules: ProxyRule[]): void {
    entry.rules = entry.rules.filter((r) => !rules.includes(r));
    entry.proxy.clearRules();
    for (const r of entry.rules) entry.proxy.addRule(r);
  }
}

/** For image services the declared port lives in the container; checks use the host-mapped port. */
function resolveHealthcheckPorts(svc: ServiceDef, proc: RunningProcess) {
  const check = svc.healthcheck!;
  if (!svc.image) return check;
  let text =
    check.kind === "tcp"
      ? check.addr
      : check.kind === "http"
        ? check.url
        : check.kind === "protocol"
          ? (check.addr ?? "")
          : "";
  for (const i of svc.interfaces) {
    const mapped = proc.addresses[i.name];
    if (mapped) text = text.replace(new RegExp(`:${i.port}(?!\\d)`), `:${mapped.port}`);
  }
  if (check.kind === "tcp") return { ...check, addr: text };
  if (check.kind === "http") return { ...check, url: text };
  if (check.kind === "protocol" && check.addr) return { ...check, addr: text };
  return check;
}
