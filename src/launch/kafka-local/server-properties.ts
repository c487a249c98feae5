// server.properties of one KRaft node. Every node is a combined broker+controller; an n-node cluster
// has an n-voter static quorum, so a 3-node cluster survives the loss of any one node. Replication
// factors of the internal topics follow the cluster size so a single node works without warnings.
import type { KafkaRelease } from "./versions.js";
import { SASL_LISTENER } from "./sasl.js";

export interface NodePorts {
  nodeId: number;
  brokerPort: number;
  controllerPort: number;
  /** Port of the SASL_PLAINTEXT listener, when the cluster has one. */
  saslPort?: number;
  /**
   * With inter-broker routes: this node's replication listener for each source node, by source node
   * id (listener REPL_<j>, where node j's replica fetchers and other inter-broker requests arrive).
   */
  replicationPorts?: Record<number, number>;
}

/**
 * Where one node reaches another, when inter-broker traffic crosses proxies (link proxies): node
 * `from` sends its replication requests to node `to` at `replication(from, to)` and its controller
 * quorum traffic at `controller(from, to)`.
 */
export interface InterBrokerAddresses {
  replication(from: number, to: number): { host: string; port: number };
  controller(from: number, to: number): { host: string; port: number };
}

/** The listener node j's inter-broker traffic arrives on, at every node. */
export const replicationListener = (from: number) => `REPL_${from}`;

/**
 * With inter-broker routes, the host name node k's controller listener is bound and known by. A node
 * of a combined broker+controller cluster may not advertise its controller listener, so the leader of
 * the quorum tells its followers the address it is bound at (KRaft's leader endpoints, sent in
 * BeginQuorumEpoch), and a follower that learned it connects there, past any gate. Bound at a name
 * instead, and every node's JVM resolving names through a hosts file of its own (controllerHosts,
 * `-Djdk.net.hosts.file`), the name leads node k itself to its listener and node j to the gate j -> k.
 */
export const controllerHostName = (node: number) => `faultbox-controller-${node}`;

/**
 * The loopback address of the gate from node `from` to node `to`'s controller: one per ordered pair,
 * on the same port as `to`'s controller listener (bound at 127.0.0.1), which the name resolves to.
 */
export const controllerGateHost = (from: number, to: number) => `127.0.${from}.${to}`;

/**
 * The hosts file of node `node`'s JVM with inter-broker routes: every controller name at the gate from
 * this node (its own at `host`), and this machine's own names, which the JVM may look up too.
 */
export function controllerHosts(node: number, all: NodePorts[], host: string, machineName: string): string {
  const lines = [`${host} localhost ${machineName}`, "::1 localhost"];
  for (const n of all)
    lines.push(
      `${n.nodeId === node ? host : controllerGateHost(node, n.nodeId)} ${controllerHostName(n.nodeId)}`,
    );
  return lines.join("\n") + "\n";
}

export function serverProperties(
  node: NodePorts,
  all: NodePorts[],
  host: string,
  dataDir: string,
  release: KafkaRelease,
  overrides: Record<string, string> = {},
  /** Entries of the SASL listener (see sasl.ts); used only when node.saslPort is set. */
  saslProps: Record<string, string> = {},
  /**
   * Inter-broker traffic through proxies: each node has one replication listener per source node
   * (REPL_<j>, advertised at the address node j reaches it through) and uses REPL_<own id> as its
   * inter-broker listener, so every node sees its peers at addresses of their link; the controller
   * quorum voters of each node are likewise the links to the other nodes (its own is direct).
   */
  routes?: InterBrokerAddresses,
): string {
  const rf = Math.min(3, all.length);
  const minIsr = Math.min(2, rf);
  const props: Record<string, string> = {
    "process.roles": "broker,controller",
    "node.id": String(node.nodeId),
    "controller.quorum.voters": all.map((n) => `${n.nodeId}@${host}:${n.controllerPort}`).join(","),
    listeners: `PLAINTEXT://${host}:${node.brokerPort},CONTROLLER://${host}:${node.controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${host}:${node.brokerPort}`,
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "log.dirs": dataDir,
    "num.partitions": "1",
    "auto.create.topics.enable": "true",
    "offsets.topic.replication.factor": String(rf),
    "transaction.state.log.replication.factor": String(rf),
    "transaction.state.log.min.isr": String(minIsr),
    // Test runs want consumer groups to form at once, not after the default 3 s.
    "group.initial.rebalance.delay.ms": "0",
    // Fewer partitions for the internal topics: they are created on first use and 50 slow that down.
    "offsets.topic.num.partitions": "5",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "log.cleaner.threads": "1",
  };
  if (routes && node.replicationPorts) {
    const at = (a: { host: string; port: number }) => `${a.host}:${a.port}`;
    const names = all.map((n) => replicationListener(n.nodeId));
    // Controllers by name (see controllerHostName): this node's hosts file sends each to its gate.
    props["controller.quorum.voters"] = all
      .map((n) => `${n.nodeId}@${controllerHostName(n.nodeId)}:${n.controllerPort}`)
      .join(",");
    props.listeners = `PLAINTEXT://${host}:${node.brokerPort},CONTROLLER://${controllerHostName(node.nodeId)}:${node.controllerPort}`;
    props.listeners += all
      .map((n) => `,${replicationListener(n.nodeId)}://${host}:${node.replicationPorts![n.nodeId]}`)
      .join("");
    props["advertised.listeners"] += all
      .map((n) =>
        n.nodeId === node.nodeId
          ? `,${replicationListener(n.nodeId)}://${host}:${node.replicationPorts![n.nodeId]}`
          : `,${replicationListener(n.nodeId)}://${at(routes.replication(n.nodeId, node.nodeId))}`,
      )
      .join("");
    props["listener.security.protocol.map"] += names.map((l) => `,${l}:PLAINTEXT`).join("");
    props["inter.broker.listener.name"] = replicationListener(node.nodeId);
  }
  if (node.saslPort !== undefined) {
    // PLAINTEXT stays the inter-broker listener; clients choose the SASL one by its port.
    props.listeners += `,${SASL_LISTENER}://${host}:${node.saslPort}`;
    props["advertised.listeners"] += `,${SASL_LISTENER}://${host}:${node.saslPort}`;
    props["listener.security.protocol.map"] += `,${SASL_LISTENER}:SASL_PLAINTEXT`;
    Object.assign(props, saslProps);
  }
  if (release.major >= 4) {
    props["share.coordinator.state.topic.replication.factor"] = String(rf);
    props["share.coordinator.state.topic.min.isr"] = String(minIsr);
  }
  Object.assign(props, overrides);
  return (
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") + "\n"
  );
}
