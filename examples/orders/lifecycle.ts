// Process lifecycle shared by both services: a startup failure prints one clear line and exits
// non-zero; SIGTERM/SIGINT stop the service cleanly (bounded), exit code 0.
import { ConfigError } from "./config.js";
import { emit, errorText, setServiceName } from "./log.js";
import { StartupError } from "./retry.js";

export const EXIT_STARTUP_FAILED = 1;
export const EXIT_BAD_CONFIG = 2;
const SHUTDOWN_TIMEOUT_MS = 10_000;

export type Stop = () => Promise<void>;

export function runService(name: string, start: () => Promise<Stop>): void {
  setServiceName(name);
  let stop: Stop | undefined;
  let stopping = false;

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!stop) process.exit(0); // still starting: nothing of ours to close yet
    const timer = setTimeout(() => {
      process.stderr.write(`${name}: clean shutdown took longer than ${SHUTDOWN_TIMEOUT_MS}ms, exiting\n`);
      process.exit(EXIT_STARTUP_FAILED);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    stop().then(
      () => {
        emit("stopped", { signal });
        process.exit(0);
      },
      (err) => {
        process.stderr.write(`${name}: error during shutdown: ${errorText(err)}\n`);
        process.exit(EXIT_STARTUP_FAILED);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  start().then(
    (s) => {
      stop = s;
    },
    (err) => {
      if (err instanceof ConfigError) {
        process.stderr.write(`${name}: configuration error: ${err.message}\n`);
        process.exit(EXIT_BAD_CONFIG);
      }
      const what = err instanceof StartupError ? err.message : `startup failed: ${errorText(err)}`;
      process.stderr.write(`${name}: ${what}\n`);
      process.exit(EXIT_STARTUP_FAILED);
    },
  );
}
