// The tcp protocol: send(data=) writes a line and reads one line back; the proxy drops/delays/answers.
import { connect } from "node:net";
import type { ProtocolPlugin, StepCall, StepOutcome } from "../../core/protocol.js";
import { tcpProxyPlugin } from "./proxy.js";

function send(call: StepCall): Promise<StepOutcome> {
  const data = String(call.args.data);
  const timeoutMs = 10_000;
  return new Promise((resolve) => {
    const sock = connect({ host: call.target.host, port: call.target.port });
    let buf = "";
    let done = false;
    const finish = (o: StepOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `no reply within ${timeoutMs}ms` }), timeoutMs);
    sock.on("connect", () => sock.write(data.endsWith("\n") ? data : data + "\n"));
    sock.on("data", (c: Buffer) => {
      buf += c.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        finish({ ok: true, body: line, data: line });
      }
    });
    sock.on("end", () => {
      if (buf.trim()) finish({ ok: true, body: buf.trim(), data: buf.trim() });
      else finish({ ok: false, error: "connection closed without a reply" });
    });
    sock.on("error", (err: NodeJS.ErrnoException) =>
      finish({ ok: false, error: err.code === "ECONNRESET" ? "connection reset (ECONNRESET)" : err.message }),
    );
  });
}

export const tcpProtocol: ProtocolPlugin = {
  ...tcpProxyPlugin,
  steps: { send: { params: ["data"], required: ["data"], run: send } },
};

export { startTcpProxy } from "./proxy.js";
