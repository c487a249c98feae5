// Loopback ports for local services. A port is chosen by binding port 0 and releasing it: the kernel
// does not hand the same ephemeral port out again immediately, so the window in which another process
// could take it before the service binds it is small (and a lost race is reported as a bind failure).
import { createServer } from "node:net";
import { LaunchError } from "./launch-error.js";

export const LOOPBACK = "127.0.0.1";

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const chosen = typeof address === "object" && address ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}

/** A port on `host` that nothing listens on right now. */
export async function freePort(host = LOOPBACK): Promise<number> {
  try {
    return await listenOnce(0, host);
  } catch (err) {
    throw new LaunchError(
      `no free port on ${host}: ${(err as Error).message}`,
      "free some ports (too many open sockets?) or check that the loopback interface is up",
    );
  }
}

/** `count` distinct free ports. */
export async function freePorts(count: number, host = LOOPBACK): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}

/** Fails with a clear message when `port` is already taken (for callers that ask for fixed ports). */
export async function assertPortFree(port: number, host = LOOPBACK, owner = "the service"): Promise<void> {
  try {
    await listenOnce(port, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LaunchError(
      `port ${host}:${port} requested for ${owner} is not free (${code ?? (err as Error).message})`,
      "stop whatever listens there, or leave the port unset so a free one is chosen",
    );
  }
}
