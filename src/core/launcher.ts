// How a service runs is pluggable (src/launch/ registers local, container and remote launchers).
import type { Address } from "./protocol.js";
import type { LaunchWrapper } from "./syscall.js";
import type { ProxyRule, ServiceDef } from "./model.js";

export interface LaunchRequest {
  service: ServiceDef;
  /** Fully resolved environment (late-bound proxy addresses substituted). */
  env: Record<string, string>;
  /** Receives each output line. */
  onLine: (stream: "stdout" | "stderr", line: string) => void;
  /** Present when syscall faults target this service. A launcher that cannot run the service under it
   * starts the service anyway and says why in RunningProcess.unsupervised. */
  wrapper?: LaunchWrapper;
  /** Events of the launcher itself (a cluster's link proxies: their `proxy` events), on the service. */
  emit?: (type: string, data: Record<string, unknown>) => void;
  /**
   * Aborted when the run is asked to stop (Ctrl-C, SIGTERM): a launcher may give up long work (an
   * image pull) instead of finishing it. What it returns anyway is stopped by the caller.
   */
  signal?: AbortSignal;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

/**
 * What faultbox can do to a running service besides stopping it for good: the service actions
 * (kill, restart, pause, ...). A service has nodes: [1] for a process or a container, 1..n for a
 * cluster the launcher runs as several processes (a multi-broker Kafka). Every action keeps the node's
 * data: a killed or stopped node starts again on what it left on disk.
 */
export interface ServiceActions {
  readonly nodes: readonly number[];
  /** SIGKILL (no shutdown hook runs); the node stays down until start(). */
  kill(node: number): Promise<void>;
  /** SIGTERM, SIGKILL after graceMs; the node stays down until start(). */
  stop(node: number, graceMs: number): Promise<void>;
  /**
   * Starts a node that kill() or stop() took down, on its own data and at the same addresses. Resolves
   * once the launcher considers it started (a cluster node: back in the cluster); the service's
   * healthcheck is core's business. `wrapper`: a fresh syscall supervisor for a supervised process
   * (a supervisor serves one run).
   */
  start(node: number, options?: { wrapper?: LaunchWrapper }): Promise<void>;
  /** SIGSTOP to every process of the node (a container: the engine's pause); resume() undoes it. */
  pause(node: number): Promise<void>;
  resume(node: number): Promise<void>;
  /** Network links between the nodes, when their traffic crosses proxies of ours (a Kafka cluster). */
  links?: NodeLinks;
  /**
   * Where clients reach a node directly (the address the service's proxy relays its connections to);
   * isolate(clients=True) holds the proxy's connections to it.
   */
  clientAddress?(node: number): Address;
}

/** The links between a cluster's nodes: the connections node `from` opens to node `to`. */
export interface NodeLinks {
  /** Blackholes the link: bytes are swallowed both ways, new connections are held; heal() ends it. */
  cut(from: number, to: number): void;
  /** Ends a cut: held connections are closed (both sides reconnect) and new ones pass again. */
  heal(from: number, to: number): void;
  /** Protocol rules on the requests `from` sends to `to` (drop, delay, ...), in the link's proxy. */
  addRule(from: number, to: number, rule: ProxyRule): void;
  removeRules(from: number, to: number, rules: ProxyRule[]): void;
}

export interface RunningProcess {
  /** Where each interface can be reached from the host, by interface name. */
  addresses: Record<string, Address>;
  /**
   * Resolves when the process/container exits (on its own, stopped, or killed by an action). After
   * actions.start() it is the new run's promise, so read it again after each start.
   */
  readonly exited: Promise<ExitStatus>;
  /**
   * Whether the service's process is still there, read now (a local process: from /proc), for an exit
   * whose notice has not arrived yet. Absent where it cannot be told cheaply.
   */
  alive?(): boolean;
  /** Last lines of output, for start failures. */
  lastLines(n: number): string[];
  pid?: number;
  /**
   * Set when a wrapper was requested but this process runs without it (a container, the embedded
   * broker): why syscall faults cannot apply to it. Core then fails only the fault windows that need
   * them, with this reason, instead of every test's service start.
   */
  unsupervised?: string;
  /** SIGTERM, then SIGKILL after graceMs; resolves when gone. */
  stop(graceMs: number): Promise<void>;
  /** Service actions; absent when this launcher cannot act on the service (see actionsUnavailable). */
  actions?: ServiceActions;
  /** Why there are no actions (a remote service, one running inside faultbox), for the error message. */
  actionsUnavailable?: string;
}

export interface Launcher {
  kind: "binary" | "image" | "remote";
  launch(request: LaunchRequest): Promise<RunningProcess>;
  /**
   * What would keep the service from being set up, found without starting it (a binary that does not
   * exist, an image with no container engine and no local stand-in), or undefined. `faultbox check`
   * reports it and `faultbox test` stops before the first test (exit 1), instead of every test failing.
   */
  check?(service: ServiceDef, env: Record<string, string>): Promise<string | undefined>;
}

const launchers = new Map<string, Launcher>();

export function registerLauncher(l: Launcher): void {
  launchers.set(l.kind, l);
}

export function getLauncher(kind: Launcher["kind"]): Launcher | undefined {
  return launchers.get(kind);
}

export function launchKind(service: ServiceDef): Launcher["kind"] {
  if (service.image) return "image";
  if (service.remote) return "remote";
  return "binary";
}

/**
 * Makes everything a local process starts end with it: `argvPrefix()` is put before the service's
 * argv (src/syscall registers the supervisor in its reap mode: a child subreaper that kills the
 * service's remaining descendants, setsid daemons included, when the service exits, and at once on
 * SIGUSR2 from the launcher). Undefined where no such helper can run; then only the process group is
 * stopped.
 */
export interface ProcessReaper {
  argvPrefix(): string[] | undefined;
}

let reaper: ProcessReaper | undefined;

export function registerProcessReaper(r: ProcessReaper | undefined): void {
  reaper = r;
}

export function getProcessReaper(): ProcessReaper | undefined {
  return reaper;
}
