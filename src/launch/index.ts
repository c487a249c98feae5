// Registers the launchers with core: local binaries, containers (Docker Engine API) and remote addresses.
import { registerLauncher } from "../core/launcher.js";
import { containerLauncher } from "./container.js";
import { findEngine } from "./docker-api.js";
import { withImageSubstitutes } from "./image-substitutes.js";
import { localLauncher } from "./local.js";
import { remoteLauncher } from "./remote.js";

let engineProbe: Promise<boolean> | undefined;
/** Asked once per process: is a Docker-compatible engine answering? */
function engineReachable(): Promise<boolean> {
  engineProbe ??= findEngine().then(
    () => true,
    () => false,
  );
  return engineProbe;
}

export function registerLaunchers(): void {
  registerLauncher(localLauncher);
  registerLauncher(withImageSubstitutes(containerLauncher, engineReachable));
  registerLauncher(remoteLauncher);
}

export { startLocalProcess, resolveBinary } from "./local.js";
export { findEngine, dockerClient, candidateSockets } from "./docker-api.js";
export { guardProcessGroup, releaseProcessGroup } from "./watchdog.js";
export { registerImageSubstitute, findImageSubstitute, type ImageSubstitute } from "./image-substitutes.js";
