// How a service runs is pluggable (src/launch/ registers local, container and remote launchers).
import type { Address } from "./protocol.js";
import type { LaunchWrapper } from "./syscall.js";
import type { ServiceDef } from "./model.js";

export interface LaunchRequest {
  service: ServiceDef;
  /** Fully resolved environment (late-bound proxy addresses substituted). */
  env: Record<string, string>;
  /** Receives each output line. */
  onLine: (stream: "stdout" | "stderr", line: string) => void;
  /** Present when syscall faults target this service. */
  wrapper?: LaunchWrapper;
}

export interface RunningProcess {
  /** Where each interface can be reached from the host, by interface name. */
  addresses: Record<string, Address>;
  /** Resolves when the process/container exits on its own (or is stopped). */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Last lines of output, for start failures. */
  lastLines(n: number): string[];
  pid?: number;
  /** SIGTERM, then SIGKILL after graceMs; resolves when gone. */
  stop(graceMs: number): Promise<void>;
}

export interface Launcher {
  kind: "binary" | "image" | "remote";
  launch(request: LaunchRequest): Promise<RunningProcess>;
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
