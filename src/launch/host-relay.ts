// How a container reaches what runs on the runner's loopback (the proxies, local binaries): a container's
// 127.0.0.1 is its own, so its env names host.docker.internal instead, which the launcher maps to the
// gateway of the engine's default bridge. Proxies listen on 127.0.0.1 only (nothing else on the network
// should reach them), so a relay listens on that gateway address, on the same port, and pipes each
// connection to 127.0.0.1. Relays are shared per address and closed when the last container using them stops.
import { createConnection, createServer, type Server } from "node:net";

interface Relay {
  server: Server | undefined;
  users: number;
}

const relays = new Map<string, Relay>();

function listen(host: string, port: number): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((inbound) => {
      const outbound = createConnection({ host: "127.0.0.1", port });
      inbound.pipe(outbound).pipe(inbound);
      const end = () => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on("error", end).on("close", end);
      outbound.on("error", end).on("close", end);
    });
    server.once("error", (err: NodeJS.ErrnoException) => {
      // Something already listens on every address at this port (a service bound to 0.0.0.0): the
      // container reaches it directly.
      if (err.code === "EADDRINUSE") resolve(undefined);
      else reject(err);
    });
    server.listen({ host, port }, () => {
      server.unref();
      resolve(server);
    });
  });
}

/**
 * Makes 127.0.0.1:port reachable at gateway:port. Throws EADDRNOTAVAIL while the bridge does not exist
 * yet (an engine creates it when its first container starts); the caller tries again after the start.
 */
export async function openHostRelay(gateway: string, port: number): Promise<() => void> {
  const key = `${gateway}:${port}`;
  let relay = relays.get(key);
  if (!relay) {
    relay = { server: await listen(gateway, port), users: 0 };
    // Another launch may have opened it while we waited.
    const raced = relays.get(key);
    if (raced) {
      relay.server?.close();
      relay = raced;
    } else relays.set(key, relay);
  }
  relay.users++;
  const opened = relay;
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    if (--opened.users > 0) return;
    relays.delete(key);
    opened.server?.close();
  };
}
