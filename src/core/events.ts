// The per-test event log: append-only, numbered from 1, queried by predicates, awaited by assert_eventually.
import { AsyncLocalStorage } from "node:async_hooks";

export interface Event {
  seq: number;
  /** Wall-clock time, ISO 8601. Never used by verdicts. */
  time: string;
  type: string;
  service: string;
  data: Record<string, unknown>;
}

/** Predicates may be async because Starlark lambdas are evaluated by an async interpreter. */
export type EventPredicate = (event: Event) => boolean | Promise<boolean>;
export type EventListener = (event: Event) => void;

/** Who caused an emission: lets a monitor ignore the events its own callback produced (no feedback loop). */
export const emissionOrigin = new AsyncLocalStorage<{ monitorId: number }>();

export interface StoredEvent extends Event {
  /** Id of the monitor whose callback caused this event, if any. */
  readonly originMonitor?: number;
}

export class EventLog {
  private readonly events: StoredEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  private closed = false;

  append(type: string, service: string, data: Record<string, unknown> = {}): StoredEvent {
    const origin = emissionOrigin.getStore();
    const event: StoredEvent = {
      seq: this.events.length + 1,
      time: new Date().toISOString(),
      type,
      service,
      data,
      ...(origin ? { originMonitor: origin.monitorId } : {}),
    };
    if (this.closed) return event; // late output of a stopping service after the test ended
    this.events.push(event);
    for (const listener of [...this.listeners]) listener(event);
    return event;
  }

  /** Stops recording; later appends are dropped (services stopping after the verdict). */
  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  all(): readonly StoredEvent[] {
    return this.events;
  }

  get size(): number {
    return this.events.length;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async filter(predicate: EventPredicate): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for (const e of [...this.events]) if (await predicate(e)) out.push(e);
    return out;
  }

  async find(predicate: EventPredicate): Promise<StoredEvent | undefined> {
    for (const e of [...this.events]) if (await predicate(e)) return e;
    return undefined;
  }

  /**
   * Resolves with the first event (already logged or arriving later) matching the predicate,
   * or undefined after timeoutMs. Events are checked in seq order, one predicate call at a time.
   */
  waitFor(
    predicate: EventPredicate,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<StoredEvent | undefined> {
    return new Promise((resolve, reject) => {
      let done = false;
      let checked = 0;
      let checking = false;
      const finish = (e: StoredEvent | undefined, err?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
        if (err !== undefined) reject(err);
        else resolve(e);
      };
      const pump = async () => {
        if (checking) return;
        checking = true;
        try {
          while (!done && checked < this.events.length) {
            const e = this.events[checked++]!;
            if (await predicate(e)) return finish(e);
          }
        } catch (err) {
          finish(undefined, err);
        } finally {
          checking = false;
        }
        if (!done && checked < this.events.length) void pump();
      };
      const onAbort = () => finish(undefined);
      const unsubscribe = this.subscribe(() => void pump());
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      signal?.addEventListener("abort", onAbort);
      void pump();
    });
  }
}

/** Key/value filters (`service="db"`, `type="stdout"`, `order_id="o-*"`) as used by dict-form queries. */
export function matchesFilters(event: Event, filters: Record<string, unknown>): boolean {
  for (const [key, pattern] of Object.entries(filters)) {
    const actual = key === "type" || key === "service" || key === "seq" ? event[key] : event.data[key];
    if (!matchValue(actual, pattern)) return false;
  }
  return true;
}

/** `*` globs for strings, exact equality otherwise (no silent string coercion of numbers). */
export function matchValue(actual: unknown, pattern: unknown): boolean {
  if (typeof pattern === "string" && typeof actual === "string") return globMatch(pattern, actual);
  if (typeof pattern === "string" && (typeof actual === "number" || typeof actual === "boolean")) {
    return String(actual) === pattern;
  }
  return actual === pattern;
}

export function globMatch(pattern: string, text: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === text;
  const re = new RegExp(
    "^" +
      pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("") +
      "$",
    "s",
  );
  return re.test(text);
}
