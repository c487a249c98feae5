// Requests the proxies relayed during one test, for latency and throughput plots. Kept beside the event
// log, not in it: a consumer's fetch polls and heartbeats would flood events(), wake monitors and keep
// the log from settling, and verdicts never depend on them.

/** One request a proxy relayed, reported when its response left the proxy (or it got none). */
export interface RequestSample {
  /** Request kind: a Kafka API name ("Produce", "Fetch"), an HTTP method. */
  api: string;
  /** When the request reached the proxy, in ms since the Unix epoch (fractional). */
  startedAt: number;
  /** Until the response left the proxy; -1 when none was sent (dropped, connection closed). */
  latencyMs: number;
  /** What the protocol says about the request: Kafka's client id, HTTP's path. */
  detail?: string;
}

/** Per test and interface, at most this many requests are listed; the rest are counted. */
export const MAX_LISTED_REQUESTS = 20_000;

export interface InterfaceTraffic {
  service: string;
  iface: string;
  protocol: string;
  samples: RequestSample[];
  unlisted: number;
}

export class TrafficLog {
  private readonly byInterface = new Map<string, InterfaceTraffic>();
  private closed = false;

  record(service: string, iface: string, protocol: string, sample: RequestSample): void {
    if (this.closed) return;
    const key = `${service}.${iface}`;
    let t = this.byInterface.get(key);
    if (!t) this.byInterface.set(key, (t = { service, iface, protocol, samples: [], unlisted: 0 }));
    if (t.samples.length < MAX_LISTED_REQUESTS) t.samples.push(sample);
    else t.unlisted++;
  }

  close(): void {
    this.closed = true;
  }

  all(): InterfaceTraffic[] {
    return [...this.byInterface.values()];
  }
}
