// What the HTTP and TCP proxies share: listen on a free loopback port, keep the rule list, and close
// (the server and every connection it still holds).
import type { Server as NetServer, AddressInfo } from "node:net";
import type { ProxyRule } from "../core/model.js";
import type { ProtocolProxy } from "../core/protocol.js";

/**
 * Listens on `host` with a free port and returns the ProtocolProxy handle over `rules` (the array the
 * server's handlers read). `dropConnections` ends what the server still holds when it closes.
 */
export async function serveProxy(
  server: NetServer,
  host: string,
  rules: ProxyRule[],
  dropConnections: () => void,
): Promise<ProtocolProxy> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    listen: { host, port },
    addRule: (r) => void rules.push(r),
    clearRules: () => void (rules.length = 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropConnections();
      }),
  };
}
