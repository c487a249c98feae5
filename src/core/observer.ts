// Event sources that run beside a service (a Kafka topic observer, a log tail) implement Observer.
// Verdicts never depend on timing: before assert_never, events() and monitor verdicts are evaluated,
// every observer is drained, i.e. it has emitted everything its source had when drain() was called.
import type { EventLog } from "./events.js";

export interface Observer {
  /** Shown in errors, e.g. `topic("order-events")`. */
  readonly name: string;
  /** The Kafka topic it reads, if it is a topic observer (the history checker knows what was stored there). */
  readonly topic?: string;
  /**
   * The service whose data it reads, when it reads one of ours: while every node of that service is
   * paused or down (service actions), drains skip it, since nothing there can answer.
   */
  readonly source?: string;
  /**
   * Resolves once every record the source held at call time has been emitted into the log. A source
   * that cannot be read (a broker down) does not reject: it reports through an event and lastDrainError.
   */
  drain(): Promise<void>;
  /** Why the last drain did not reach the end of the source, or undefined when it did. */
  lastDrainError?(): string | undefined;
  /** Stops observing; no events are emitted after it resolves. */
  stop(): Promise<void>;
}

export interface ObserverContext {
  /** The service owning the observer (events carry its name). */
  service: string;
  /** Real (unproxied) address of the interface the observer reads from, if it names one. */
  upstream?: { host: string; port: number };
  /** The owning service's declared env (credentials, e.g. the Kafka observer's KAFKA_SASL_*). */
  serviceEnv?: Record<string, string>;
  /** Emit into the current test's log. */
  emit(type: string, data: Record<string, unknown>): void;
  log: EventLog;
  seed: bigint;
}
