import type { MessagePort } from "node:worker_threads";

// Messages between the engine (main thread) and the Starlark worker. The interpreter is synchronous and
// steps are asynchronous, so the spec runs in a worker that blocks on a SharedArrayBuffer while the
// engine, its proxies and its services keep running on the main thread's event loop.

/** A failure raised while the worker ran Starlark code, classified so the engine can give a verdict. */
export interface ErrorInfo {
  message: string;
  /** assert_eq / assert_true / fail / ...: the test fails with an assertion reason. */
  assertion?: string;
  /** A spec error (bad argument, unknown keyword): the test errors, or loading fails. */
  spec?: boolean;
  /** Where in the spec, when known. */
  file?: string;
  line?: number;
  column?: number;
  /** Full formatted message (source line, caret, traceback) for load errors. */
  formatted?: string;
}

export type ToMain =
  /** `inv`: the engine's invocation this request is made from (so its events keep their origin). */
  | { t: "op"; id: number; op: string; args: unknown; inv?: number }
  | { t: "reply"; id: number; ok: true; value: BoxedWire }
  | { t: "reply"; id: number; ok: false; error: ErrorInfo }
  | { t: "print"; text: string }
  | { t: "loaded"; ok: true }
  | { t: "loaded"; ok: false; error: ErrorInfo };

export type ToWorker =
  | { t: "result"; id: number; ok: true; value: unknown }
  | { t: "result"; id: number; ok: false; error: ErrorInfo }
  | { t: "invoke"; id: number; fn: number; args: unknown[] }
  /** The current test ended (timeout, interrupt): abandon what it left running. */
  | { t: "cancel" };

/** A Starlark value as the engine sees it: a handle plus what the engine needs to know about it. */
export interface BoxedWire {
  h: number;
  truth: boolean;
  repr: string;
  none: boolean;
}

export interface WorkerData {
  file: string;
  port: MessagePort;
  flag: SharedArrayBuffer;
  /** Step methods per registered protocol. */
  protocols: Record<string, string[]>;
  /**
   * Rule constructors known to the registered protocols' proxies (e.g. duplicate only with kafka),
   * each with the parameters it takes besides matchers (over all protocols). Those that are not
   * builtins already (lose_response, blackhole, ...) become builtins of the same name.
   */
  ruleActions: Record<string, string[]>;
  /** Observer constructors per protocol (kafka: ["topic"]), exposed as builtins. */
  observers: Record<string, string[]>;
  /** Node selectors per protocol (kafka: ["leader", "follower"]), methods of a service with it. */
  selectors?: Record<string, string[]>;
}

/** Wakes the worker after posting to it (it waits on the flag when it has nothing to do). */
export function notify(flag: Int32Array): void {
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}
