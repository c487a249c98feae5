// Registers the launchers with core: local binaries, containers (Docker Engine API) and remote addresses.
import { registerLauncher } from "../core/launcher.js";
import { containerLauncher } from "./container.js";
import { localLauncher } from "./local.js";
import { remoteLauncher } from "./remote.js";

export function registerLaunchers(): void {
  registerLauncher(localLauncher);
  registerLauncher(containerLauncher);
  registerLauncher(remoteLauncher);
}

export { startLocalProcess, resolveBinary } from "./local.js";
export { findEngine, dockerClient, candidateSockets } from "./docker-api.js";
export { guardProcessGroup, releaseProcessGroup } from "./watchdog.js";
