// Loopback ports for local services. A port is chosen by binding it and releasing it, so a service
// started a few seconds later can bind it. To keep others from taking it in between, the port is drawn
// at random from below the kernel's ephemeral range (ip_local_port_range): the kernel never hands
// those out for port-0 listeners or outgoing connections, which on a busy test machine otherwise
// collide with the chosen port. A lost race is still possible (another process picking the same port
// on purpose); launchers report it as a bind failure and retry with new ports.
import { ephemeralRangeStart, listenOnce } from "../../core/ports.js";
import { LaunchError } from "./launch-error.js";

export const LOOPBACK = "127.0.0.1";

const FIRST_PORT = 10_000;

/** A port on `host` that nothing listens on right now, outside the ephemeral range when possible. */
export async function freePort(host = LOOPBACK): Promise<number> {
  const end = ephemeralRangeStart();
  if (end - FIRST_PORT > 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = FIRST_PORT + Math.floor(Math.random() * (end - FIRST_PORT));
      try {
        return await listenOnce(port, host);
      } catch {
        // taken: draw again
      }
    }
  }
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
