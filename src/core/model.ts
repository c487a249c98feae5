// The declarative model a spec builds (from Starlark or TypeScript) before anything runs.
import type { Decoder } from "./decoders.js";
import type { ObserverContext, Observer } from "./observer.js";
import type { SourceLocation } from "./errors.js";
import type { StoredEvent } from "./events.js";

export type AsyncFn<A extends unknown[] = [], R = unknown> = (...args: A) => Promise<R>;

export interface InterfaceDef {
  readonly kind: "interface";
  name: string;
  protocol: string;
  /** Port the service listens on (inside its container for image services). Allocated when declared as 0. */
  port: number;
  /** Owning service, set by service(). */
  service?: string;
}

export type Healthcheck =
  | { kind: "tcp"; addr: string; timeoutMs: number }
  | { kind: "http"; url: string; timeoutMs: number }
  | { kind: "ready"; timeoutMs: number }
  /**
   * A named protocol's own readiness probe (kafka_ready()): on addr when given, else on the service's
   * first interface of that protocol.
   */
  | { kind: "protocol"; protocol: string; name: string; addr?: string; timeoutMs: number };

export type ObserveSource =
  | { kind: "stdout" | "stderr"; decoder?: Decoder }
  | {
      kind: "observer";
      /** e.g. `topic("order-events")`. */
      name: string;
      /** Protocol of the interface it reads (the first interface of the service with it is used). */
      protocol?: string;
      start(ctx: ObserverContext): Promise<Observer>;
    };

export interface ServiceDef {
  readonly kind: "service";
  name: string;
  interfaces: InterfaceDef[];
  binary?: string;
  image?: string;
  remote?: string;
  args: string[];
  env: Record<string, string>;
  dependsOn: string[];
  healthcheck?: Healthcheck;
  reuse: boolean;
  /** Its own exit during a test is recorded (service_exited) but does not fail the test. */
  mayExit?: boolean;
  observe: ObserveSource[];
  /** Container port → host port for image services (0 = any). */
  ports: Record<number, number>;
  /** Runs after every fresh start. */
  seed?: AsyncFn;
  /** Runs before each test that finds the service already running (reuse=True). */
  reset?: AsyncFn;
  /** Named syscall groups usable as fault keywords. */
  ops: Record<string, { syscalls: string[]; path?: string }>;
  /** Working directory for binaries (the spec's folder). */
  cwd: string;
  /** Declaration order, used to break ties when ordering starts. */
  index: number;
  location?: SourceLocation;
}

/** A protocol-level fault rule (drop/delay/error/response/duplicate), applied by the interface's proxy. */
export interface ProxyRule {
  readonly kind: "proxy_rule";
  action: string;
  /** Matchers such as topic=, method=, path=, query=. */
  match: Record<string, string>;
  /** Action parameters: delayMs, status, message, body. */
  params: Record<string, unknown>;
  /** 1 = always. */
  probability: number;
  /** How the constructor was written, for messages: `drop(topic="orders")`. */
  text: string;
}

/**
 * A service action as a fault: kill(), restart(), stop(), pause() on a service or one of its nodes;
 * isolate() on a node and cut() on a link between two nodes. In a window it acts when the window
 * opens and is undone when it closes (kill/stop: start again; pause: resume; isolate/cut: heal);
 * restart() has nothing to undo.
 */
export interface ServiceActionRule {
  readonly kind: "service_action";
  action: ActionName;
  /**
   * restart(kill=True): SIGKILL instead of a graceful stop. cut(one_way=True): only from -> to.
   * isolate(clients=True): the service's clients lose the node too (its connections through the
   * service's proxy are held), not only the other nodes.
   */
  params: { kill?: boolean; oneWay?: boolean; clients?: boolean };
  /** As written: `restart()`, `cut(one_way=True)`. */
  text: string;
}

export type ActionName = "kill" | "restart" | "stop" | "pause" | "isolate" | "cut";

/**
 * How a node is chosen: by id, or by a protocol's selector resolved when the action fires (Kafka:
 * `leader(topic=, partition=)`, `follower(...)`, answered from Metadata through the service's proxy).
 */
export interface NodeSelector {
  /** The selector's name, e.g. "leader". */
  name: string;
  /** Protocol offering it (the service's interface whose plugin resolves it). */
  protocol: string;
  args: Record<string, unknown>;
}

/** One node of a service (`kafka.node(2)`, `kafka.leader(topic="t")`). */
export interface NodeRef {
  readonly kind: "node_ref";
  service: string;
  node?: number;
  select?: NodeSelector;
  /** As written: `kafka.node(2)`, `kafka.leader(topic="orders", partition=0)`. */
  text: string;
}

/** The connections node `from` opens to node `to` (`kafka.link(1, 2)`). */
export interface LinkRef {
  readonly kind: "link_ref";
  service: string;
  from: NodeRef;
  to: NodeRef;
  text: string;
}

/** A syscall-level fault rule (deny/delay/allow), applied by the syscall controller. */
export interface SyscallFault {
  readonly kind: "syscall_fault";
  action: "deny" | "delay" | "allow";
  errno?: string;
  delayMs?: number;
  probability: number;
  label?: string;
  /** Stops firing after this many fires each time the rule is set (max_fires=); absent: no cap. */
  maxFires?: number;
  text: string;
}

export interface SyscallRule {
  /** The keyword as written (`write`, or an op name). */
  key: string;
  /** Syscalls it expands to (families: write → write, writev, pwrite64). */
  syscalls: string[];
  fault: SyscallFault;
  pathGlob?: string;
}

export interface FaultAssumption {
  readonly kind: "fault_assumption";
  name: string;
  description?: string;
  /** Interface target for proxy rules: `svc.iface`. */
  targetInterface?: { service: string; iface: string };
  /** Service target for syscall rules and service actions. */
  targetService?: string;
  /** One node of the service (service actions), or a link between two (cut(), rules on the link). */
  targetNode?: NodeRef;
  targetLink?: LinkRef;
  rules: ProxyRule[];
  /** Service actions: applied when the window opens, undone when it closes. */
  actions: ServiceActionRule[];
  syscall: SyscallRule[];
  monitors: MonitorDef[];
  children: FaultAssumption[];
  location?: SourceLocation;
}

/** What a callback monitor or where= predicate receives. */
export type EventView = StoredEvent;

export type MonitorDef =
  | {
      readonly kind: "monitor";
      form: "callback";
      name: string;
      filters: Record<string, unknown>;
      callback: (event: StoredEvent) => Promise<void>;
      location?: SourceLocation;
    }
  | {
      readonly kind: "monitor";
      form: "stateful";
      name: string;
      on: (event: StoredEvent) => Promise<boolean>;
      stateInit: unknown;
      update?: (event: StoredEvent, state: unknown) => Promise<unknown>;
      check?: (event: StoredEvent, state: unknown) => Promise<unknown>;
      /** Truthiness of a value returned by check (Starlark truthiness differs from JS). */
      truthy: (v: unknown) => boolean;
      location?: SourceLocation;
    }
  | {
      readonly kind: "monitor";
      /**
       * Checked once, over the whole log, when its verdict is due (the test's monitor check, or the end
       * of the fault window that carries it): a history check. Resolves to a violation message or undefined.
       */
      form: "final";
      name: string;
      check: () => Promise<string | undefined>;
      location?: SourceLocation;
    };

export interface MatrixCell {
  scenario: string;
  fault: string;
}

export interface TestDef {
  name: string;
  kind: "test" | "scenario" | "fault_scenario" | "matrix";
  body: () => Promise<unknown>;
  matrix?: MatrixCell;
  /** Assumption names active in the test (for reporting). */
  faults: string[];
  /** Marks an expect= failure as expectation_violated. */
  location?: SourceLocation;
  timeoutMs?: number;
}

export interface Suite {
  file: string;
  dir: string;
  services: ServiceDef[];
  tests: TestDef[];
  /** Spec-wide monitors: registered at the start of every test, after services are up. */
  monitors: MonitorDef[];
  /** Names of matrix scenarios and faults in first-seen order, for the summary grid. */
  matrix?: { scenarios: string[]; faults: string[]; excluded: MatrixCell[] };
  warnings: string[];
  /** fault_assumption()s the spec declared while loading (not inside a test), in order. */
  assumptions?: FaultAssumption[];
  /** Syscalls each service must be launched with filters for (from every syscall fault in the spec). */
  syscallTargets: Map<string, Set<string>>;
  /** Formats a value the way the spec language prints it (Starlark repr or JSON). */
  repr: (v: unknown) => string;
  /** Equality and truthiness of the spec language (Starlark and JS differ). */
  equals: (a: unknown, b: unknown) => boolean;
  truthy: (v: unknown) => boolean;
}
