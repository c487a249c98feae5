// The protocols `faultbox proxy` serves, registered by their proxy halves only: a proxy-only process
// needs the proxy factories and the rule vocabulary, not the steps (kafkajs, pg), observers or brokers.
// Where the full plugins are registered already (faultbox used as a library), those stay.
import { getProtocol, registerProtocol } from "../core/protocol.js";
import { httpProxyPlugin } from "../protocols/http/proxy.js";
import { kafkaProxyPlugin } from "../protocols/kafka/plugin/proxy-plugin.js";
import { postgresProxyPlugin } from "../protocols/postgres/proxy.js";
import { tcpProxyPlugin } from "../protocols/tcp/proxy.js";

const proxyPlugins = [kafkaProxyPlugin, tcpProxyPlugin, httpProxyPlugin, postgresProxyPlugin];

/** The protocols a proxy can be started for, by name: kafka, tcp, http, postgres. */
export const PROXY_PROTOCOLS = proxyPlugins.map((p) => p.name);

export function registerProxyProtocols(): void {
  for (const p of proxyPlugins) if (!getProtocol(p.name)) registerProtocol({ ...p, steps: {} });
}
