// Registers the launchers with core: local binaries, containers (Docker Engine API) and remote addresses.
import { registerLauncher } from "../core/launcher.js";
import { containerLauncher } from "./container.js";
import { findEngine } from "./docker-api.js";
import { withImageSubstitutes } from "./image-substitutes.js";
import { localLauncher } from "./local.js";
import { remoteLauncher } from "./remote.js";

let engineProbe: Promise<string | undefined> | undefined;
/** Asked once per process: why no Docker-compatible engine answers (undefined: one does). */
function engineProblem(): Promise<string | undefined> {
  engineProbe ??= findEngine().then(
    () => undefined,
    (err: Error) => err.message,
  );
  return engineProbe;
}
const engineReachable = async () => (await engineProblem()) === undefined;

export function registerLaunchers(): void {
  registerLauncher(localLauncher);
  registerLauncher(withImageSubstitutes(containerLauncher, engineReachable, undefined, engineProblem));
  registerLauncher(remoteLauncher);
}

export { startLocalProcess, resolveBinary } from "./local.js";
export { findEngine, dockerClient, candidateSockets } from "./docker-api.js";
export { guardProcessGroup, releaseProcessGroup } from "./watchdog.js";
export { registerImageSubstitute, findImageSubstitute, type ImageSubstitute } from "./image-substitutes.js";
