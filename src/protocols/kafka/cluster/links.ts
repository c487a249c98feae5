// The links between the brokers of a local Kafka cluster: every ordered pair of nodes (a -> b) gets
// two gates of ours, one for a's inter-broker requests to b (replica fetching, transaction markers)
// and one for a's controller-quorum traffic to b (KRaft votes and metadata fetches, broker heartbeats
// and registrations when b is the active controller). Each broker is configured to reach each other
// broker through them (launch/kafka-local: per-source replication listeners, per-node quorum voters),
// so a gate knows who calls whom without any address trick.
//
// A gate is a TCP relay that can be cut: while cut, bytes are swallowed both ways and new
// connections are accepted and held unanswered, as a network partition that drops packets would do;
// heal() closes what the cut held (both sides reconnect) and lets new connections through. The
// replication gate forwards through a Kafka protocol proxy of ours, so the usual rules apply to
// replication (e.g. delay(api="fetch") makes a follower lag).
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { NodeLinks } from "../../../core/launcher.js";
import type { ProxyRule } from "../../../core/model.js";
import type { InterBrokerRoutes, InterBrokerTarget } from "../../../launch/kafka-local/index.js";
import { startKafkaProxy, type KafkaProxy } from "../proxy/index.js";
import { proxyEventData } from "../plugin/proxy.js";
import { toKafkaRule } from "../plugin/rules.js";

const HOST = "127.0.0.1";

/** A TCP relay that a partition can cut. */
class Gate {
  private cut = false;
  private readonly pairs = new Set<{ client: Socket; upstream?: Socket }>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: () => { host: string; port: number },
  ) {
    server.on("connection", (client) => this.accept(client));
  }

  static async open(
    target: () => { host: string; port: number },
    at: { host: string; port: number } = { host: HOST, port: 0 },
  ): Promise<Gate> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(at, () => resolve());
    });
    return new Gate(server, (server.address() as AddressInfo).port, target);
  }

  private accept(client: Socket): void {
    const pair: { client: Socket; upstream?: Socket } = { client };
    this.pairs.add(pair);
    client.on("error", () => undefined);
    client.once("close", () => {
      this.pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (this.cut) {
      // Held: connected, never answered, what it sends is swallowed.
      client.on("data", () => undefined);
      return;
    }
    const upstream = connect(this.target());
    pair.upstream = upstream;
    upstream.on("error", () => undefined);
    upstream.once("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Swallows what flows on every connection, and holds new ones, until heal(). */
  setCut(): void {
    if (this.cut) return;
    this.cut = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe();
      upstream?.unpipe();
      client.on("data", () => undefined);
      upstream?.on("data", () => undefined);
    }
  }

  /** Closes what the cut held (its bytes are gone: both sides must reconnect) and lets traffic pass. */
  heal(): void {
    if (!this.cut) return;
    this.cut = false;
    for (const pair of [...this.pairs]) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Link {
  replication: Gate;
  controller: Gate;
  proxy: KafkaProxy;
  /** Rule ids in the link's Kafka proxy, by core's rule. */
  ids: Map<ProxyRule, number>;
}

export interface ClusterLinks extends InterBrokerRoutes, NodeLinks {}

export interface LinkOptions {
  /** Seed of the link proxies' probabilistic rules. */
  seed: number;
  /** Events of the link proxies (rules that acted), on the cluster's service: `proxy` with `link`. */
  emit?: (type: string, data: Record<string, unknown>) => void;
}

/** Opens the gates (and replication proxies) for every ordered pair of nodes. */
export async function openLinks(targets: InterBrokerTarget[], o: LinkOptions): Promise<ClusterLinks> {
  const links = new Map<string, Link>();
  const key = (from: number, to: number) => `${from}->${to}`;
  try {
    for (const t of targets) {
      const name = key(t.from, t.to);
      const proxy = await startKafkaProxy({
        upstream: `${t.replication.host}:${t.replication.port}`,
        host: HOST,
        seed: o.seed,
        onEvent: (e) => {
          if (e.type !== "fault") return;
          const data = proxyEventData(e);
          if (data) o.emit?.("proxy", { link: name, from: t.from, to: t.to, ...data });
        },
      });
      const [host, port] = [
        proxy.bootstrap.slice(0, proxy.bootstrap.lastIndexOf(":")),
        Number(proxy.bootstrap.slice(proxy.bootstrap.lastIndexOf(":") + 1)),
      ];
      const replication = await Gate.open(() => ({ host, port }));
      // At the address t.from resolves t.to's controller name to (see controllerHostName).
      const controller = await Gate.open(() => t.controller, t.controllerGate);
      links.set(name, { replication, controller, proxy, ids: new Map() });
    }
  } catch (err) {
    await closeAll(links);
    throw err;
  }
  const link = (from: number, to: number): Link => {
    const l = links.get(key(from, to));
    if (!l)
      throw new Error(
        `no link from node ${from} to node ${to} (nodes ${[...new Set(targets.map((t) => t.from))].join(", ")})`,
      );
    return l;
  };
  return {
    replication: (from, to) => ({ host: HOST, port: link(from, to).replication.port }),
    controller: (from, to) => {
      const gate = targets.find((t) => t.from === from && t.to === to)?.controllerGate;
      return { host: gate?.host ?? HOST, port: link(from, to).controller.port };
    },
    cut(from, to) {
      const l = link(from, to);
      l.replication.setCut();
      l.controller.setCut();
    },
    heal(from, to) {
      const l = link(from, to);
      l.replication.heal();
      l.controller.heal();
    },
    addRule(from, to, rule) {
      const l = link(from, to);
      l.ids.set(rule, l.proxy.addRule(toKafkaRule(rule)));
    },
    removeRules(from, to, rules) {
      const l = link(from, to);
      for (const r of rules) {
        const id = l.ids.get(r);
        if (id === undefined) continue;
        l.proxy.removeRule(id);
        l.ids.delete(r);
      }
    },
    close: () => closeAll(links),
  };
}

async function closeAll(links: Map<string, Link>): Promise<void> {
  for (const l of links.values()) {
    await l.replication.close();
    await l.controller.close();
    await l.proxy.close();
  }
  links.clear();
}
