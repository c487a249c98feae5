// A remote service: nothing to launch; the proxy in front of it forwards to the given address.
import type { Launcher, RunningProcess } from "../core/launcher.js";

export const remoteLauncher: Launcher = {
  kind: "remote",
  async launch(): Promise<RunningProcess> {
    return {
      addresses: {},
      exited: new Promise(() => undefined), // a remote service never "exits" from our point of view
      lastLines: () => [],
      async stop() {},
    };
  },
};
