// The http protocol: steps, proxy with error/response/delay/drop rules, ready() = any HTTP answer on /.
import { request } from "node:http";
import type { ProtocolPlugin } from "../../core/protocol.js";
import { httpProxyPlugin } from "./proxy.js";
import { httpSteps } from "./steps.js";

export const httpProtocol: ProtocolPlugin = {
  ...httpProxyPlugin,
  steps: httpSteps,
  healthcheck: (target) =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: target.host, port: target.port, path: "/", timeout: 2000, agent: false },
        (res) => {
          res.resume();
          if ((res.statusCode ?? 500) < 500) resolve();
          else reject(new Error(`status ${res.statusCode}`));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", reject);
      req.end();
    }),
};

export { startHttpProxy } from "./proxy.js";
