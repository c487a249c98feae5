// A remote service: nothing to launch; the proxy in front of it forwards to the given address.
import type { Launcher, RunningProcess } from "../core/launcher.js";

export const remoteLauncher: Launcher = {
  kind: "remote",
  async launch(req): Promise<RunningProcess> {
    return {
      actionsUnavailable: `service "${req.service.name}" is remote (${req.service.remote}): faultbox did not start it, so it cannot kill, stop, restart or pause it (declare it with a binary or an image to do that)`,
      addresses: {},
      exited: new Promise(() => undefined), // a remote service never "exits" from our point of view
      lastLines: () => [],
      async stop() {},
    };
  },
};
