// A client of the `faultbox proxy` control API for TypeScript/JavaScript tests:
//
//   import { FaultboxProxyClient } from "faultbox";
//   const fb = new FaultboxProxyClient("http://127.0.0.1:8475");
//   const rule = await fb.addRule("kafka", { action: "drop", topic: "orders" });
//   ... produce ...
//   const fault = await fb.waitForEvent({ type: ["fault"], rule: rule.id });
//   await fb.removeRule("kafka", rule.id);
//
// It uses only the global fetch (Node 18+, browsers, Deno, Bun); errors the API answers become
// FaultboxProxyError with the status and the field it names.
import type { ControlEvent, ProxyView, RuleView } from "./session.js";
import type { RuleFields } from "./rules.js";

export type { ControlEvent, ProxyView, RuleView, RuleFields };

/** A rule as JSON: the spec constructor's keywords as fields, e.g. { action: "drop", topic: "orders", times: 1 }. */
export interface RuleRequest {
  action: string;
  [field: string]: string | number | boolean | string[];
}

export interface EventFilter {
  /** Only events with a greater seq. */
  since?: number;
  proxy?: string;
  type?: ("fault" | "connection_open" | "connection_close" | "malformed" | "warning")[];
  /** Only fault events of this rule. */
  rule?: number;
}

export interface EventsPage {
  events: ControlEvent[];
  /** Pass as `since` to get only later events. */
  next: number;
  /** Events after `since` the proxy no longer keeps. */
  lost: number;
  /** Every rule since the last reset, with matched/fired counters. */
  rules: RuleView[];
}

export interface ProxyInfo {
  service: "faultbox proxy";
  version: string;
  seed: string;
  proxies: ProxyView[];
}

export interface FaultboxProxyClientOptions {
  /** Sent as Authorization: Bearer TOKEN (faultbox proxy --token). */
  token?: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export class FaultboxProxyError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = "FaultboxProxyError";
  }
}

export class FaultboxProxyClient {
  readonly url: string;
  private readonly token?: string;
  private readonly timeoutMs: number;

  constructor(url = "http://127.0.0.1:8475", options: FaultboxProxyClientOptions = {}) {
    this.url = url.replace(/\/+$/, "");
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new FaultboxProxyError(
        `faultbox proxy at ${this.url} did not answer ${method} ${path}: ${(err as Error).message}`,
        0,
      );
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new FaultboxProxyError(
        `${method} ${path}: not a JSON answer (status ${res.status}): ${text.slice(0, 200)}`,
        res.status,
      );
    }
    if (!res.ok) {
      const e = (data ?? {}) as { error?: string; field?: string };
      throw new FaultboxProxyError(
        `${method} ${path}: ${e.error ?? `status ${res.status}`}`,
        res.status,
        e.field,
      );
    }
    return data as T;
  }

  info(): Promise<ProxyInfo> {
    return this.call("GET", "/");
  }

  async seed(): Promise<string> {
    return (await this.call<{ seed: string }>("GET", "/seed")).seed;
  }

  async proxies(): Promise<ProxyView[]> {
    return (await this.call<{ proxies: ProxyView[] }>("GET", "/proxies")).proxies;
  }

  proxy(name: string): Promise<ProxyView> {
    return this.call("GET", `/proxies/${encodeURIComponent(name)}`);
  }

  /** Adds one rule; it applies from now on. */
  addRule(proxy: string, rule: RuleRequest): Promise<RuleView> {
    return this.call("POST", `/proxies/${encodeURIComponent(proxy)}/rules`, rule);
  }

  /** Adds several rules, all or none. */
  addRules(proxy: string, rules: RuleRequest[]): Promise<RuleView[]> {
    return this.call("POST", `/proxies/${encodeURIComponent(proxy)}/rules`, rules);
  }

  /** Active rules (of one proxy, or of all) with their counters. */
  async rules(proxy?: string): Promise<RuleView[]> {
    const path = proxy === undefined ? "/rules" : `/proxies/${encodeURIComponent(proxy)}/rules`;
    return (await this.call<{ rules: RuleView[] }>("GET", path)).rules;
  }

  rule(proxy: string, id: number): Promise<RuleView> {
    return this.call("GET", `/proxies/${encodeURIComponent(proxy)}/rules/${id}`);
  }

  /** Removes one rule; answers it with its final counters. */
  removeRule(proxy: string, id: number): Promise<RuleView> {
    return this.call("DELETE", `/proxies/${encodeURIComponent(proxy)}/rules/${id}`);
  }

  async clearRules(proxy: string): Promise<RuleView[]> {
    return (await this.call<{ removed: RuleView[] }>("DELETE", `/proxies/${encodeURIComponent(proxy)}/rules`))
      .removed;
  }

  /** Removes every rule of every proxy and clears the events; `next` is the seq to read on from. */
  reset(): Promise<{ removed: number; next: number }> {
    return this.call("POST", "/reset");
  }

  events(filter: EventFilter & { limit?: number } = {}): Promise<EventsPage> {
    return this.call("GET", `/events${query(filter)}`);
  }

  /**
   * Resolves with the first event after `filter.since` that matches (polling /events), or rejects
   * after `timeoutMs` (default 10 s) naming the filter.
   */
  async waitForEvent(
    filter: EventFilter,
    options: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<ControlEvent> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let since = filter.since ?? 0;
    for (;;) {
      const page = await this.events({ ...filter, since, limit: 1 });
      if (page.events[0]) return page.events[0];
      since = Math.max(since, page.next);
      if (Date.now() >= deadline)
        throw new FaultboxProxyError(`no event matching ${JSON.stringify(filter)} arrived in time`, 0);
      await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
    }
  }

  /** New events as they happen (NDJSON stream); end it with the signal or by breaking the loop. */
  async *stream(filter: EventFilter = {}, signal?: AbortSignal): AsyncGenerator<ControlEvent> {
    const headers: Record<string, string> = { Accept: "application/x-ndjson" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const res = await fetch(`${this.url}/events/stream${query(filter)}`, { headers, signal });
    if (!res.ok || !res.body) {
      const e = (await res.json().catch(() => ({}))) as { error?: string; field?: string };
      throw new FaultboxProxyError(
        `GET /events/stream: ${e.error ?? `status ${res.status}`}`,
        res.status,
        e.field,
      );
    }
    const decoder = new TextDecoder();
    let buffered = "";
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffered += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) yield JSON.parse(line) as ControlEvent;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}

function query(f: EventFilter & { limit?: number }): string {
  const p = new URLSearchParams();
  if (f.since !== undefined) p.set("since", String(f.since));
  if (f.proxy !== undefined) p.set("proxy", f.proxy);
  if (f.type?.length) p.set("type", f.type.join(","));
  if (f.rule !== undefined) p.set("rule", String(f.rule));
  if (f.limit !== undefined) p.set("limit", String(f.limit));
  const s = p.toString();
  return s ? `?${s}` : "";
}
