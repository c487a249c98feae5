// The worker side of the bridge: synchronous requests to the engine. While waiting for an answer the
// worker keeps serving the engine's own calls into Starlark (a monitor callback fired by an event the
// pending step caused), so nested calls in either direction never deadlock.
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import {
  CANCEL_REASON,
  CANCELLED_BELOW,
  WAKE,
  cancelMessage,
  type BoxedWire,
  type ErrorInfo,
  type ToMain,
  type ToWorker,
} from "./wire.js";

export class RemoteError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

export type InvokeHandler = (
  fn: number,
  args: unknown[],
) => { ok: true; value: BoxedWire } | { ok: false; error: ErrorInfo };

export class WorkerChannel {
  private nextId = 1;
  private readonly results = new Map<number, Extract<ToWorker, { t: "result" }>>();
  private readonly flag: Int32Array;
  invoke: InvokeHandler = () => ({ ok: false, error: { message: "not ready" } });
  /** Engine invocations being served, innermost last. */
  private readonly invocations: { id: number; epoch: number }[] = [];

  constructor(
    private readonly port: MessagePort,
    flag: SharedArrayBuffer,
    private readonly loadTimeoutMs?: number,
  ) {
    this.flag = new Int32Array(flag);
  }

  /**
   * Why the work being done now must stop, or undefined: the engine abandoned its epoch (the test
   * ended, timed out or was interrupted; loading ran out of time). Polled by the interpreter too.
   */
  cancelled(): string | undefined {
    const epoch = this.invocations[0]?.epoch ?? 0; // the spec's top level runs in epoch 0
    if (Atomics.load(this.flag, CANCELLED_BELOW) <= epoch) return undefined;
    return cancelMessage(Atomics.load(this.flag, CANCEL_REASON), this.loadTimeoutMs);
  }

  post(m: ToMain): void {
    this.port.postMessage(m);
  }

  /** Sends an operation to the engine and blocks until its result arrives. */
  request(op: string, args: unknown): unknown {
    this.throwIfCancelled();
    const id = this.nextId++;
    this.post({ t: "op", id, op, args, inv: this.invocations.at(-1)?.id });
    for (;;) {
      const r = this.results.get(id);
      if (r) {
        this.results.delete(id);
        if (r.ok) return r.value;
        throw new RemoteError(r.error);
      }
      const m = this.receive(true);
      if (m) this.handle(m);
      this.throwIfCancelled();
    }
  }

  private throwIfCancelled(): void {
    const reason = this.cancelled();
    if (reason !== undefined) throw new RemoteError({ message: reason });
  }

  /** Serves the engine's invocations forever (the worker's main loop after the spec has loaded). */
  serve(): never {
    for (;;) this.handle(this.receive(false)!);
  }

  private handle(m: ToWorker): void {
    if (m.t === "result") {
      this.results.set(m.id, m);
      return;
    }
    this.invocations.push({ id: m.id, epoch: m.epoch });
    let r;
    try {
      r = this.invoke(m.fn, m.args);
    } finally {
      this.invocations.pop();
    }
    this.post(
      r.ok
        ? { t: "reply", id: m.id, ok: true, value: r.value }
        : { t: "reply", id: m.id, ok: false, error: r.error },
    );
  }

  /** The next message; with `wakeOnCancel`, undefined when woken by a cancellation instead. */
  private receive(wakeOnCancel: boolean): ToWorker | undefined {
    for (;;) {
      const seen = Atomics.load(this.flag, WAKE);
      const m = receiveMessageOnPort(this.port);
      if (m) return m.message as ToWorker;
      if (wakeOnCancel && this.cancelled() !== undefined) return undefined;
      Atomics.wait(this.flag, WAKE, seen);
    }
  }
}
