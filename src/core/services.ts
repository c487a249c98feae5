// Service lifecycle across a suite: proxies (suite-scoped, so addresses stay stable for reused services),
// start in dependency order with healthchecks, fresh per test unless reuse=True, stop in reverse order.
import { ServiceStartError, SpecError, TestTimeout, errorMessage, type SourceLocation } from "./errors.js";
import type { EventLog } from "./events.js";
import type { TrafficLog } from "./traffic.js";
import { waitHealthy } from "./healthcheck.js";
import { getLauncher, launchKind, type RunningProcess } from "./launcher.js";
import type { LaunchWrapper } from "./syscall.js";
import type { ProxyRule, ServiceDef, Suite, SyscallRule } from "./model.js";
import { getProtocol, type Address, type ProtocolProxy } from "./protocol.js";
import type { Rng } from "./random.js";
import { getSyscallController, type SyscallSession } from "./syscall.js";
import { formatDuration } from "./duration.js";
import {
  envName,
  formatAddr,
  interfaceKey,
  parseHostPort,
  resolveEnvValue,
  startOrder,
  type EnvUpstream,
} from "./topology.js";

/**
 * Where a running service's (or a proxy's) events go: the log of the test it belongs to now. Rebound
 * when a reused service enters the next test, unbound when its test ends, so each test's log holds only
 * its own events (a connection of the previous test closing late, a stopped service's last lines).
 */
interface LogBinding {
  log: EventLog | undefined;
}

export interface RunningService {
  def: ServiceDef;
  process: RunningProcess;
  events: LogBinding;
  syscall?: SyscallSession;
  /** Why the service runs without the syscall supervisor although syscall faults target it. */
  unsupervised?: string;
  /** Set when the process exited on its own. */
  exitedEarly?: string;
  /** Set once the runner stops it (end of test, end of run): its exit is expected. */
  stopping?: boolean;
  /** Nodes a service action took down (kill, stop) and has not started again. */
  down: Set<number>;
  /** Nodes paused by an action and not resumed. */
  paused: Set<number>;
  /** Links cut by an action and not healed, as "from->to". */
  cuts: Set<string>;
  /** Nodes cut off from the service's clients (isolate(clients=True)) and not healed. */
  clientCuts: Set<number>;
  /** Syscall rules of the open window, set again on the fresh supervisor of a restarted process. */
  syscallRules?: SyscallRule[];
}

/** A service that ended during a test without the runner or a service action stopping it. */
export interface ServiceExit {
  service: string;
  code: number | null;
  signal: string | null;
  /** `service "api" exited with code 7 during the test` */
  reason: string;
  lastLines: string[];
}

interface ProxyEntry {
  service: string;
  iface: string;
  protocol: string;
  proxy: ProtocolProxy;
  /** Rules currently installed, in order (windows remove theirs and re-install the rest). */
  rules: ProxyRule[];
  events: LogBinding;
  /** The log bound when each open connection (conn_id) opened: its close belongs to that test. */
  connections: Map<unknown, EventLog | undefined>;
}

export class ServiceManager {
  private readonly order: ServiceDef[];
  readonly running = new Map<string, RunningService>();
  private readonly proxies = new Map<string, ProxyEntry>();
  /** Where proxies report the requests they relay: the running test's, set by the engine. */
  traffic: TrafficLog | undefined;
  private readonly lines: string[] = [];
  /**
   * The startAll() under way, if any. A test stopped while its services start (Ctrl-C, SIGTERM) is
   * over at once, but a launcher may still be bringing a service up (a container the engine just
   * started): afterTest() and shutdown() wait for it, and it stops what it started late itself.
   */
  private starting: Promise<void> | undefined;
  /** Services that exited on their own during the current test, in order. */
  private exits: ServiceExit[] = [];
  /** Told of each such exit as it happens (the engine ends the test's body). */
  onExit: ((exit: ServiceExit) => void) | undefined;

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

  /** SIGTERM -> SIGKILL grace of stops (also of stop() and restart() actions). */
  get stopGraceMs(): number {
    return this.options.stopGraceMs;
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

  /** Whether every node of a service is paused or down (service actions): nothing there answers. */
  unreachable(service: string): boolean {
    const entry = this.running.get(service);
    const nodes = entry?.process.actions?.nodes;
    if (!entry || !nodes) return false;
    return nodes.every((n) => entry.paused.has(n) || entry.down.has(n));
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
        if (this.options.signal.aborted) return;
        const plugin = getProtocol(i.protocol);
        if (!plugin?.proxy) continue;
        const events: LogBinding = { log: undefined };
        const connections = new Map<unknown, EventLog | undefined>();
        try {
          const proxy = await plugin.proxy({
            upstream: this.upstream(svc, i.name),
            seed: this.rng.fork(`proxy:${svc.name}.${i.name}`).seed,
            listenHost: "127.0.0.1",
            onEvent: (type, data) => {
              // A connection's open and close belong to the test in which it opened: a client of the
              // previous test closing late must not show up in this test's log (with a reused service
              // the proxy, and its connections, live across tests).
              let log = events.log;
              if (type === "proxy_conn_open") connections.set(data.conn_id, log);
              else if (type === "proxy_conn_close" && connections.has(data.conn_id)) {
                log = connections.get(data.conn_id);
                connections.delete(data.conn_id);
              }
              log?.append(type, svc.name, { interface: i.name, ...data });
            },
            onRequest: (sample) => this.traffic?.record(svc.name, i.name, i.protocol, sample),
          });
          this.proxies.set(interfaceKey(svc.name, i.name), {
            service: svc.name,
            iface: i.name,
            protocol: i.protocol,
            proxy,
            rules: [],
            events,
            connections,
          });
        } catch (err) {
          warn(`proxy for ${svc.name}.${i.name} did not start: ${errorMessage(err)}; steps go direct`);
        }
      }
    }
  }

  /** The environment a service is launched with. */
  buildEnv(svc: ServiceDef): { env: Record<string, string>; unresolved: string[] } {
    const env = processEnv();
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

  /**
   * Starts (or re-announces reused) services for a test, in dependency order. `rng` is the test run's
   * seed: proxies draw from it for this test, and fresh services' syscall faults are seeded from it,
   * so a test's randomness does not depend on the tests that ran before it.
   */
  async startAll(
    log: EventLog,
    warn: (msg: string) => void,
    rng: Rng = this.rng,
    test: { signal?: AbortSignal; hookTimeoutMs?: number } = {},
  ): Promise<void> {
    const work = this.startEach(log, warn, rng, test);
    this.starting = work.then(
      () => undefined,
      () => undefined,
    );
    return work;
  }

  /** Waits for a startAll() under way to give up or finish (see `starting`). */
  private async settleStarting(): Promise<void> {
    await this.starting;
    this.starting = undefined;
  }

  private async startEach(
    log: EventLog,
    warn: (msg: string) => void,
    rng: Rng,
    test: { signal?: AbortSignal; hookTimeoutMs?: number },
  ): Promise<void> {
    this.exits = [];
    for (const p of this.proxies.values())
      p.proxy.reseed?.(rng.fork(`proxy:${interfaceKey(p.service, p.iface)}`).seed);
    // Once asked to stop (Ctrl-C, SIGTERM, the test's time is up), start nothing more.
    const stopping = () => this.options.signal.aborted || test.signal?.aborted === true;
    const hook = async (kind: "seed" | "reset", svc: ServiceDef, fn: () => Promise<unknown>) => {
      try {
        await untilStopped(
          fn(),
          test.signal,
          test.hookTimeoutMs,
          `the ${kind} hook of service "${svc.name}"`,
        );
      } catch (err) {
        if (err instanceof TestTimeout) throw err;
        throw new Error(`${kind} service "${svc.name}": ${errorMessage(err)}`);
      }
    };
    for (const svc of this.order) {
      if (stopping()) throw new TestTimeout("interrupted");
      const existing = this.running.get(svc.name);
      if (existing && svc.reuse && !existing.exitedEarly) {
        existing.events.log = log;
        this.bindProxies(svc, log, false);
        log.append("service_started", svc.name, { mode: "reused" });
        log.append("service_ready", svc.name, { mode: "reused" });
        this.announceProxies(svc, "reused", log);
        const reset = svc.reset ?? svc.seed;
        if (reset) {
          await hook("reset", svc, reset);
          log.append("service_reset", svc.name, {});
        }
        continue;
      }
      if (existing) await this.stopOne(existing);
      await this.launch(svc, log, warn, rng, stopping);
      this.announceProxies(svc, "passthrough", log);
      if (stopping()) throw new TestTimeout("interrupted");
      if (svc.seed) {
        await hook("seed", svc, svc.seed);
        log.append("service_seed", svc.name, {});
      }
    }
  }

  /**
   * Cuts the service's clients off one of its nodes (`on`), or ends that: every proxy of the service
   * holds its connections to the node's address. Throws, changing nothing, when the service has no
   * running proxy or one that cannot do it: a client isolation that did not happen must not pass.
   */
  clientIsolation(entry: RunningService, node: number, on: boolean): void {
    const name = entry.def.name;
    const at = entry.process.actions?.clientAddress?.(node);
    if (!at)
      throw new SpecError(
        `isolate(clients=True): service "${name}" cannot tell where its clients reach node ${node} (a Kafka service with nodes= can)`,
      );
    const proxies = entry.def.interfaces.map((i) => ({ i, p: this.proxies.get(interfaceKey(name, i.name)) }));
    const missing = proxies.filter((x) => !x.p?.proxy.isolateUpstream || !x.p.proxy.healUpstream);
    if (missing.length)
      throw new SpecError(
        `isolate(clients=True): the clients of service "${name}" reach it without a proxy that can cut them off (interface${missing.length > 1 ? "s" : ""} ${missing.map((x) => x.i.name).join(", ")}: ${missing.map((x) => (x.p ? `protocol "${x.i.protocol}" cannot` : "no proxy is running")).join("; ")})`,
      );
    for (const { p } of proxies) {
      if (on) p!.proxy.isolateUpstream!(at);
      else p!.proxy.healUpstream!(at);
    }
    if (on) entry.clientCuts.add(node);
    else entry.clientCuts.delete(node);
  }

  /** Lets every request a proxy holds (delay rules) go on now: the test that delayed them is over. */
  releaseHeld(): void {
    for (const p of this.proxies.values()) p.proxy.releaseHeld?.();
  }

  /** Binds the service's proxies to the test's log; `fresh`: it restarted, its connections are new. */
  private bindProxies(svc: ServiceDef, log: EventLog | undefined, fresh: boolean): void {
    for (const i of svc.interfaces) {
      const p = this.proxies.get(interfaceKey(svc.name, i.name));
      if (!p) continue;
      p.events.log = log;
      if (fresh) p.connections.clear();
    }
  }

  private announceProxies(svc: ServiceDef, mode: string, log: EventLog): void {
    for (const i of svc.interfaces) {
      const p = this.proxies.get(interfaceKey(svc.name, i.name));
      if (!p) continue;
      log.append(mode === "reused" ? "proxy_active" : "proxy_started", svc.name, {
        interface: i.name,
        protocol: i.protocol,
        listen: formatAddr(p.proxy.listen),
        target: formatAddr(this.upstream(svc, i.name)),
        mode,
      });
    }
  }

  private async launch(
    svc: ServiceDef,
    log: EventLog,
    warn: (msg: string) => void,
    rng: Rng,
    stopping: () => boolean,
  ): Promise<void> {
    const kind = launchKind(svc);
    const launcher = getLauncher(kind);
    if (!launcher) throw new ServiceStartError(svc.name, `no launcher registered for ${kind} services`);
    const { env, unresolved } = this.buildEnv(svc);
    for (const u of new Set(unresolved)) {
      warn(`service "${svc.name}": env references the proxy of ${u}, which is not running; left unresolved`);
    }
    const events: LogBinding = { log };
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
        seed: rng.fork(`syscall:${svc.name}`).seed,
        emit: (type, data) => events.log?.append(type, svc.name, data),
      });
    }
    const ownLines: string[] = [];
    let proc: RunningProcess;
    try {
      proc = await launcher.launch({
        service: svc,
        env,
        wrapper,
        emit: (type, data) => events.log?.append(type, svc.name, data),
        signal: this.options.signal,
        onLine: (stream, line) => {
          ownLines.push(line);
          if (ownLines.length > 50) ownLines.shift();
          this.options.echo?.(svc.name, line);
          this.emitLine(svc, stream, line, events);
        },
      });
    } catch (err) {
      wrapper?.dispose?.();
      throw new ServiceStartError(
        svc.name,
        `service "${svc.name}" could not be launched: ${errorMessage(err)}`,
      );
    }
    if (stopping()) {
      // Asked to stop while the launcher worked: nothing waits for this service any more, and nobody
      // else knows it runs. Stop it here rather than leave it running (and the run unable to end).
      wrapper?.dispose?.();
      await proc.stop(this.options.stopGraceMs).catch(() => undefined);
      throw new TestTimeout("interrupted");
    }
    const entry: RunningService = {
      def: svc,
      process: proc,
      down: new Set(),
      paused: new Set(),
      cuts: new Set(),
      clientCuts: new Set(),
      events,
    };
    this.running.set(svc.name, entry);
    for (const i of svc.interfaces) {
      await this.proxies.get(interfaceKey(svc.name, i.name))?.proxy.retarget?.(this.upstream(svc, i.name));
    }
    this.bindProxies(svc, log, true);
    const exited = this.watchExit(entry);
    if (wrapper && proc.pid !== undefined && proc.unsupervised === undefined)
      entry.syscall = await wrapper.attach(proc.pid);
    else if (wrapper) {
      wrapper.dispose?.();
      entry.unsupervised = proc.unsupervised ?? `its ${kind} launcher runs it without the syscall supervisor`;
    }
    log.append("service_started", svc.name, kind === "binary" ? {} : { kind });
    await this.awaitHealthy(entry, exited);
  }

  /**
   * Resolves with a reason when the service's current run exits on its own (a launcher's `exited`
   * skips what an action did); read again after every start.
   */
  private watchExit(entry: RunningService): Promise<string> {
    return entry.process.exited.then(({ code, signal }) => {
      const how = signal ? ` on ${signal}` : code !== null ? ` with code ${code}` : "";
      const reason = `service "${entry.def.name}" exited${how}`;
      entry.exitedEarly = reason;
      // Ended while it belongs to a test and nobody stopped it: the test must not pass by accident.
      const log = entry.events.log;
      if (log && !entry.stopping && this.running.get(entry.def.name) === entry) {
        // Expected exits are recorded and leave the verdict to the test's assertions: a service
        // declared may_exit=True, and one that a syscall fault reached in this test (a broker that
        // halts on EIO is the fault's outcome, which the spec asserts on).
        const expected = entry.def.mayExit
          ? "may_exit"
          : log.all().some((e) => e.type === "fault_applied" && e.service === entry.def.name)
            ? "fault"
            : undefined;
        log.append("service_exited", entry.def.name, { code, signal, ...(expected ? { expected } : {}) });
        if (expected) return reason;
        const exit: ServiceExit = {
          service: entry.def.name,
          code,
          signal,
          reason: `${reason} during the test`,
          lastLines: entry.process.lastLines(10),
        };
        this.exits.push(exit);
        this.onExit?.(exit);
      }
      return reason;
    });
  }

  /** The services that exited on their own since the current test began. */
  exitsDuringTest(): readonly ServiceExit[] {
    return this.exits;
  }

  /**
   * Lets the exit of a service that is already gone be reported: a body can end, or fail on its
   * proxy's 502, before the notice of a dying service arrives (its sockets close before the process is
   * a zombie), and the exit must still be the verdict. Looks at the processes for `probeMs` (alive()),
   * and waits up to `noticeMs` for the notice of one that is gone.
   */
  async settleExits(probeMs: number, noticeMs = 5000): Promise<void> {
    const deadline = performance.now() + probeMs;
    for (;;) {
      if (this.exits.length) return;
      const gone = [...this.running.values()].filter(
        (e) =>
          !e.stopping && e.events.log && !e.exitedEarly && e.down.size === 0 && e.process.alive?.() === false,
      );
      if (gone.length) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          ...gone.map((e) => e.process.exited.then(() => undefined)),
          new Promise<void>((r) => (timer = setTimeout(r, noticeMs))),
        ]);
        clearTimeout(timer);
        return; // the exit's own handler (watchExit, registered first) has run by now
      }
      if (performance.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The service's healthcheck, if it has one (after a launch, and after an action started it again). */
  private async awaitHealthy(entry: RunningService, exited: Promise<string>): Promise<void> {
    const svc = entry.def;
    const proc = entry.process;
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
      entry.events.log?.append("service_ready", svc.name, {});
    }
  }

  /**
   * Starts nodes an action took down, on their data (in parallel: a cluster's quorum needs several
   * at once). A supervised process gets a fresh syscall supervisor with the rules of the open window.
   * A single-node service then passes its healthcheck again; a cluster node is back when its launcher
   * says so (it waits for the node to rejoin).
   */
  async startNodes(entry: RunningService, nodes: number[]): Promise<void> {
    const actions = entry.process.actions!;
    const svc = entry.def;
    let wrapper: LaunchWrapper | undefined;
    const syscalls = this.suite.syscallTargets?.get(svc.name);
    const rules = entry.syscallRules ?? [];
    if (entry.syscall && syscalls && syscalls.size > 0) {
      await entry.syscall.close().catch(() => undefined);
      entry.syscall = undefined;
      wrapper = await getSyscallController()!.wrap({
        service: svc.name,
        syscalls: [...syscalls].sort(),
        seed: this.rng.fork(`syscall:${svc.name}:restart`).seed,
        emit: (type, data) => entry.events.log?.append(type, svc.name, data),
      });
    }
    await Promise.all(nodes.map((n) => actions.start(n, wrapper ? { wrapper } : undefined)));
    for (const n of nodes) entry.down.delete(n);
    entry.exitedEarly = undefined;
    const exited = this.watchExit(entry);
    if (wrapper && entry.process.pid !== undefined) {
      entry.syscall = await wrapper.attach(entry.process.pid);
      if (rules.length) await entry.syscall.setRules(rules);
    }
    if (actions.nodes.length === 1) await this.awaitHealthy(entry, exited);
  }

  /**
   * After a test's body: what actions left behind is undone before services stop or are kept: paused
   * nodes resume (a stopped process cannot act on SIGTERM), cut links heal, and a reused service's
   * nodes that are down start again on their data.
   */
  async undoActions(): Promise<void> {
    for (const entry of this.running.values()) {
      const actions = entry.process.actions;
      if (!actions) continue;
      for (const n of [...entry.paused]) {
        await actions.resume(n).catch(() => undefined);
        entry.events.log?.append("service_action", entry.def.name, {
          action: "resume",
          node: n,
          cause: "end of test",
        });
      }
      entry.paused.clear();
      for (const link of [...entry.cuts]) {
        const [from, to] = link.split("->").map(Number) as [number, number];
        actions.links?.heal(from, to);
        entry.events.log?.append("service_action", entry.def.name, {
          action: "heal",
          link,
          cause: "end of test",
        });
      }
      entry.cuts.clear();
      for (const n of [...entry.clientCuts]) {
        try {
          this.clientIsolation(entry, n, false);
        } catch {
          entry.clientCuts.delete(n); // its proxy is gone, and with it what the isolation held
        }
        entry.events.log?.append("service_action", entry.def.name, {
          action: "heal",
          node: n,
          clients: true,
          cause: "end of test",
        });
      }
      if (entry.down.size > 0 && entry.def.reuse) {
        const nodes = [...entry.down].sort((a, b) => a - b);
        try {
          await this.startNodes(entry, nodes);
          entry.events.log?.append("service_action", entry.def.name, {
            action: "start",
            nodes,
            cause: "end of test",
          });
        } catch (err) {
          entry.exitedEarly = `service "${entry.def.name}" could not be started again: ${errorMessage(err)}`;
        }
      }
    }
  }

  private emitLine(svc: ServiceDef, stream: "stdout" | "stderr", line: string, events: LogBinding): void {
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
    events.log?.append(stream, svc.name, data);
  }

  lastLines(service: string, n: number): string[] {
    return this.running.get(service)?.process.lastLines(n) ?? this.lines.slice(-n);
  }

  /** Every address of this run's proxies and services (a test's clients connect to these). */
  addresses(): Address[] {
    const out: Address[] = [];
    for (const p of this.proxies.values()) out.push(p.proxy.listen);
    for (const svc of this.suite.services)
      for (const i of svc.interfaces) out.push(this.upstream(svc, i.name));
    return out;
  }

  /** After a test: stop fresh services (reverse order), keep reused ones, clear every proxy's rules. */
  async afterTest(): Promise<void> {
    await this.settleStarting();
    await this.undoActions();
    for (const p of this.proxies.values()) {
      p.proxy.clearRules();
      p.rules = [];
      p.events.log = undefined;
    }
    for (const svc of [...this.order].reverse()) {
      const r = this.running.get(svc.name);
      if (!r) continue;
      r.events.log = undefined;
      if (svc.reuse && !r.exitedEarly) {
        if (r.syscall) await r.syscall.clearRules().catch(() => undefined);
        continue;
      }
      await this.stopOne(r);
    }
  }

  private async stopOne(r: RunningService): Promise<void> {
    r.stopping = true;
    this.running.delete(r.def.name);
    await r.syscall?.close().catch(() => undefined);
    await r.process.stop(this.options.stopGraceMs).catch(() => undefined);
  }

  /** End of suite (or interrupt): stop everything, close proxies. */
  async shutdown(): Promise<void> {
    await this.settleStarting();
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

/**
 * Awaits `work`, but gives up when the signal aborts (with its TestTimeout reason) or after timeoutMs:
 * a hook that never returns must not keep the run from ending.
 */
async function untilStopped<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        if (timeoutMs !== undefined)
          timer = setTimeout(
            () => reject(new TestTimeout(`${what} did not finish within ${formatDuration(timeoutMs)}`)),
            timeoutMs,
          );
        onAbort = () =>
          reject(signal?.reason instanceof TestTimeout ? signal.reason : new TestTimeout("interrupted"));
        if (signal?.aborted) onAbort();
        else signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}

/** A service that cannot be set up here, found before anything starts. */
export interface SetupProblem {
  service: string;
  message: string;
  location?: SourceLocation;
}

/**
 * Asks each service's launcher what would keep it from starting (a missing binary, an image with no
 * engine and no local stand-in). These are set-up errors: `check` reports them, `test` exits 1 before
 * its first test instead of failing every test the same way.
 */
export async function checkSetup(suite: Suite): Promise<SetupProblem[]> {
  const problems: SetupProblem[] = [];
  for (const svc of suite.services) {
    const kind = launchKind(svc);
    const launcher = getLauncher(kind);
    const problem = launcher
      ? await launcher.check?.(svc, { ...processEnv(), ...svc.env })
      : `no launcher registered for ${kind} services`;
    if (problem)
      problems.push({
        service: svc.name,
        message: `service "${svc.name}": ${problem}`,
        ...(svc.location ? { location: svc.location } : {}),
      });
  }
  return problems;
}

function processEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}
