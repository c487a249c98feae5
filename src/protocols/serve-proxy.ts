// What the HTTP and TCP proxies share: listen on a loopback port, keep the rule list with its counters,
// and close (the server and every connection it still holds).
import type { Server as NetServer, AddressInfo } from "node:net";
import type { ProxyRule } from "../core/model.js";
import type { ProtocolProxy } from "../core/protocol.js";
import type { RuleCounts } from "../core/syscall.js";

/**
 * The rules a proxy applies, in insertion order, and how often each matched and fired. The list is
 * replaced, never mutated, so a request that is iterating it (a delay rule awaits mid-loop) keeps the
 * rules it started with. Counts are kept per rule object and survive clear/re-add (core sums them
 * over the installs of a rule); a WeakMap lets them go with the rule.
 */
export class ProxyRuleSet {
  private list: readonly ProxyRule[] = [];
  private readonly counts = new WeakMap<ProxyRule, RuleCounts>();

  get rules(): readonly ProxyRule[] {
    return this.list;
  }

  add(rule: ProxyRule): void {
    this.list = [...this.list, rule];
  }

  remove(rule: ProxyRule): boolean {
    const before = this.list.length;
    this.list = this.list.filter((r) => r !== rule);
    return this.list.length !== before;
  }

  clear(): void {
    this.list = [];
  }

  /** Records a match; returns whether the rule fires for it (its probability, drawn from `random`). */
  match(rule: ProxyRule, random: () => number): boolean {
    const c = this.countsOf(rule);
    c.matched++;
    if (rule.probability < 1 && random() >= rule.probability) return false;
    c.fired++;
    return true;
  }

  countsOf(rule: ProxyRule): RuleCounts {
    let c = this.counts.get(rule);
    if (!c) this.counts.set(rule, (c = { matched: 0, fired: 0 }));
    return c;
  }
}

/**
 * Listens on `host`:`port` (0: a free port) and returns the ProtocolProxy handle over `rules` (the set
 * the server's handlers read). `dropConnections` ends what the server still holds when it closes.
 */
export async function serveProxy(
  server: NetServer,
  host: string,
  port: number,
  rules: ProxyRuleSet,
  dropConnections: () => void,
): Promise<ProtocolProxy> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const listen = { host, port: (server.address() as AddressInfo).port };
  return {
    listen,
    addRule: (r) => rules.add(r),
    removeRule: (r) => rules.remove(r),
    clearRules: () => rules.clear(),
    ruleCounts: (r) => ({ ...rules.countsOf(r) }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropConnections();
      }),
  };
}
