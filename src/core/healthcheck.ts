// Healthchecks poll until the service answers or the timeout passes; a process that exits first fails fast.
import { connect } from "node:net";
import { request } from "node:http";
import { formatDuration } from "./duration.js";
import type { Healthcheck } from "./model.js";
import { getProtocol, type Address, type HealthcheckContext } from "./protocol.js";
import { normalizeHost, parseHostPort } from "./topology.js";

const POLL_MS = 100;

export function tcpProbe(a: Address, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: a.host, port: a.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("connect timed out"));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.destroy();
      resolve();
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function httpProbe(url: string, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(url.includes("://") ? url : `http://${url}`);
    u.hostname = normalizeHost(u.hostname);
    const req = request(u, { method: "GET", timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 400) resolve();
      else reject(new Error(`status ${status}`));
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end();
  });
}

export interface HealthTarget {
  check: Healthcheck;
  /** The interface ready() probes (first interface of the service; for kafka_ready() its first kafka one). */
  readyTarget?: { address: Address; probe?: (a: Address, ctx: HealthcheckContext) => Promise<void> };
  ctx: HealthcheckContext;
  /** Resolves (with a reason) when the service exits before becoming healthy. */
  exited?: Promise<string>;
}

export function describeHealthcheck(check: Healthcheck): string {
  switch (check.kind) {
    case "tcp":
      return `TCP healthcheck "${check.addr}"`;
    case "http":
      return `HTTP healthcheck "${check.url}"`;
    case "ready":
      return "ready() healthcheck";
    case "protocol":
      return `${check.name}(${check.addr ? JSON.stringify(check.addr) : ""}) healthcheck`;
  }
}

/** Polls until healthy. Throws with a message naming the check and the last probe error. */
export async function waitHealthy(t: HealthTarget): Promise<void> {
  const { check } = t;
  const deadline = Date.now() + check.timeoutMs;
  let exitReason: string | undefined;
  void t.exited?.then((r) => (exitReason = r));
  const probe = async () => {
    switch (check.kind) {
      case "tcp":
        return tcpProbe(parseHostPort(check.addr));
      case "http":
        return httpProbe(check.url);
      case "ready": {
        if (!t.readyTarget) throw new Error("ready() needs the service to have an interface");
        const { address, probe: p } = t.readyTarget;
        return p ? p(address, t.ctx) : tcpProbe(address);
      }
      case "protocol": {
        const p = getProtocol(check.protocol)?.healthcheck;
        if (!p) throw new Error(`protocol "${check.protocol}" is not registered`);
        if (check.addr) return p(parseHostPort(check.addr), t.ctx);
        if (!t.readyTarget)
          throw new Error(`${check.name}() needs an address or a ${check.protocol} interface`);
        return p(t.readyTarget.address, t.ctx);
      }
    }
  };
  let last = "";
  for (;;) {
    if (exitReason !== undefined) throw new Error(exitReason);
    if (t.ctx.signal.aborted) throw new Error("interrupted");
    try {
      await probe();
      if (exitReason !== undefined) throw new Error(exitReason);
      return;
    } catch (err) {
      if (exitReason !== undefined) throw new Error(exitReason);
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${describeHealthcheck(check)} timed out after ${formatDuration(check.timeoutMs)} (last error: ${last})`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
