// Monitors watch the event log while they are registered. Both forms are supported:
// monitor(fn) calls fn(event) for every matching event (fn may run steps and call fail), and
// monitor(name, on=, state_init=, update=, check=) folds matching events into a state and checks it.
// A "final" monitor (history_monitor()) sees no single event: it checks the whole log once, when due.
import { AssertionFailure, SpecError, errorMessage, type SourceLocation } from "./errors.js";
import { emissionOrigin, matchesFilters, type EventLog, type StoredEvent } from "./events.js";
import type { MonitorDef } from "./model.js";

let nextMonitorId = 1;

export interface MonitorViolation {
  monitor: string;
  message: string;
  location?: SourceLocation;
}

export class ActiveMonitor {
  readonly id = nextMonitorId++;
  private state: unknown;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly unsubscribe: () => void;
  private finished = false;

  constructor(
    readonly def: MonitorDef,
    log: EventLog,
    private readonly onViolation: (v: MonitorViolation) => void,
  ) {
    this.state = def.form === "stateful" ? def.stateInit : undefined;
    this.unsubscribe = def.form === "final" ? () => undefined : log.subscribe((e) => this.enqueue(e));
  }

  /** Runs a final monitor's check (once; later calls do nothing). Other forms have nothing to finish. */
  async finish(): Promise<void> {
    const def = this.def;
    if (def.form !== "final" || this.finished) return;
    this.finished = true;
    try {
      const message = await def.check();
      if (message !== undefined) this.onViolation({ monitor: def.name, message, location: def.location });
    } catch (err) {
      const location = err instanceof AssertionFailure ? err.location : def.location;
      this.onViolation({ monitor: def.name, message: errorMessage(err), location });
    }
  }

  private enqueue(e: StoredEvent): void {
    // A callback's own steps emit events; feeding them back to it would loop forever.
    if (e.originMonitor === this.id) return;
    this.pending++;
    this.tail = this.tail.then(async () => {
      try {
        await emissionOrigin.run({ monitorId: this.id }, () => this.process(e));
      } finally {
        this.pending--;
      }
    });
  }

  private async process(e: StoredEvent): Promise<void> {
    const def = this.def;
    try {
      if (def.form === "final") return;
      if (def.form === "callback") {
        if (!matchesFilters(e, def.filters)) return;
        await def.callback(e);
        return;
      }
      let matches: boolean;
      try {
        matches = await def.on(e);
      } catch {
        matches = false; // an on= predicate that raises is a non-match, as in Faultbox
      }
      if (!matches) return;
      let next = this.state;
      try {
        if (def.update) next = await def.update(e, this.state);
      } catch (err) {
        this.onViolation({
          monitor: def.name,
          message: `monitor "${def.name}" update raised: ${errorMessage(err)}`,
          location: raisedAt(err) ?? def.location,
        });
        return;
      }
      if (def.check) {
        let verdict: unknown;
        try {
          verdict = await def.check(e, next);
        } catch (err) {
          this.onViolation({
            monitor: def.name,
            message: `monitor "${def.name}" check raised: ${errorMessage(err)}`,
            location: raisedAt(err) ?? def.location,
          });
          this.state = next;
          return;
        }
        if (!def.truthy(verdict)) {
          this.onViolation({
            monitor: def.name,
            message: `monitor "${def.name}" violated at event seq=${e.seq} type="${e.type}" service="${e.service}"`,
            location: def.location,
          });
        }
      }
      this.state = next;
    } catch (err) {
      // fail("...") speaks for itself; any other error is named as the monitor's.
      const message =
        err instanceof AssertionFailure
          ? errorMessage(err)
          : `monitor "${def.name}" raised: ${errorMessage(err)}`;
      // Where the callback failed (its fail() or the line that raised), else where it was declared.
      this.onViolation({ monitor: def.name, message, location: raisedAt(err) ?? def.location });
    }
  }

  /** Resolves when every event delivered so far has been processed. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }

  stop(): void {
    this.unsubscribe();
  }
}

/** The spec line an error raised by monitor code carries (fail(), or the line that raised), if any. */
function raisedAt(err: unknown): SourceLocation | undefined {
  return err instanceof AssertionFailure || err instanceof SpecError ? err.location : undefined;
}
