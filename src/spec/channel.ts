// The worker side of the bridge: synchronous requests to the engine. While waiting for an answer the
// worker keeps serving the engine's own calls into Starlark (a monitor callback fired by an event the
// pending step caused), so nested calls in either direction never deadlock.
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { BoxedWire, ErrorInfo, ToMain, ToWorker } from "./wire.js";

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
  private depth = 0;
  /** Engine invocations being served, innermost last. */
  private readonly invocations: number[] = [];
  private cancelled = false;

  constructor(
    private readonly port: MessagePort,
    flag: SharedArrayBuffer,
  ) {
    this.flag = new Int32Array(flag);
  }

  post(m: ToMain): void {
    this.port.postMessage(m);
  }

  /** Sends an operation to the engine and blocks until its result arrives. */
  request(op: string, args: unknown): unknown {
    if (this.cancelled) throw new RemoteError({ message: "the test ended (timed out or interrupted)" });
    const id = this.nextId++;
    this.post({ t: "op", id, op, args, inv: this.invocations.at(-1) });
    for (;;) {
      const r = this.results.get(id);
      if (r) {
        this.results.delete(id);
        if (r.ok) return r.value;
        throw new RemoteError(r.error);
      }
      this.handle(this.receive());
      if (this.cancelled) throw new RemoteError({ message: "the test ended (timed out or interrupted)" });
    }
  }

  /** Serves the engine's invocations forever (the worker's main loop after the spec has loaded). */
  serve(): never {
    for (;;) this.handle(this.receive());
  }

  private handle(m: ToWorker): void {
    if (m.t === "result") {
      this.results.set(m.id, m);
      return;
    }
    if (m.t === "cancel") {
      if (this.depth > 0) this.cancelled = true;
      return;
    }
    if (this.depth === 0) this.cancelled = false; // a new test starts
    this.depth++;
    this.invocations.push(m.id);
    let r;
    try {
      r = this.invoke(m.fn, m.args);
    } finally {
      this.depth--;
      this.invocations.pop();
    }
    this.post(
      r.ok
        ? { t: "reply", id: m.id, ok: true, value: r.value }
        : { t: "reply", id: m.id, ok: false, error: r.error },
    );
  }

  private receive(): ToWorker {
    for (;;) {
      const seen = Atomics.load(this.flag, 0);
      const m = receiveMessageOnPort(this.port);
      if (m) return m.message as ToWorker;
      Atomics.wait(this.flag, 0, seen);
    }
  }
}
