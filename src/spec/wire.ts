import type { MessagePort } from "node:worker_threads";
import { formatDuration } from "../core/duration.js";

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
  /** The spec read a file (load(), load_file/json/yaml): bundles carry it. */
  | { t: "file"; path: string }
  | { t: "loaded"; ok: true }
  | { t: "loaded"; ok: false; error: ErrorInfo };

export type ToWorker =
  | { t: "result"; id: number; ok: true; value: unknown }
  | { t: "result"; id: number; ok: false; error: ErrorInfo }
  /** `epoch`: the engine's epoch when it asked; work of an epoch below CANCELLED_BELOW is abandoned. */
  | { t: "invoke"; id: number; fn: number; args: unknown[]; epoch: number };

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
  /** Int32 slots shared with the engine: WAKE, CANCELLED_BELOW, CANCEL_REASON (see below). */
  flag: SharedArrayBuffer;
  /** Time limit of executing the spec's top level (ms), or none. */
  loadTimeoutMs?: number;
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

// The shared Int32 slots. The worker runs Starlark synchronously, so the engine cannot message it while
// it computes; it stops a busy worker through these, which the interpreter polls every few thousand steps.
/** Bumped (and notified) whenever the engine posts to the worker. */
export const WAKE = 0;
/** Every invocation (and the spec's loading, epoch 0) with an epoch below this is abandoned. */
export const CANCELLED_BELOW = 1;
/** Why the latest cancellation happened (one of CancelReason). */
export const CANCEL_REASON = 2;
export const FLAG_SLOTS = 3;

export enum CancelReason {
  TestEnded = 1,
  LoadTimeout = 2,
  Interrupted = 3,
}

export function cancelMessage(reason: number, loadTimeoutMs: number | undefined): string {
  switch (reason) {
    case CancelReason.LoadTimeout:
      return `the spec did not finish loading within ${formatDuration(loadTimeoutMs ?? 0)} (an endless loop at its top level?)`;
    case CancelReason.Interrupted:
      return "interrupted";
    default:
      return "the test ended (timed out or interrupted)";
  }
}

/** Wakes the worker after posting to it (it waits on the flag when it has nothing to do). */
export function notify(flag: Int32Array): void {
  Atomics.add(flag, WAKE, 1);
  Atomics.notify(flag, WAKE);
}
