// Bounded retry for startup: dependencies may still be coming up, but a service that cannot reach
// them must say so and exit rather than hang.
import { setTimeout as sleep } from "node:timers/promises";
import { errorText, warn } from "./log.js";

export class StartupError extends Error {}

export async function retryUntil<T>(what: string, timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delayMs = 100;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() + delayMs > deadline) {
        throw new StartupError(
          `cannot reach ${what} after ${tries} attempt(s) in ${timeoutMs}ms: ${errorText(err)}`,
        );
      }
      if (tries === 1) warn(`waiting for ${what}`, { error: errorText(err) });
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 1_000);
    }
  }
}
