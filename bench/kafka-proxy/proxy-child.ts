// The proxy in a process of its own, so a benchmark can read the proxy's CPU time alone. Started with
// child_process.fork(); told { upstream } it answers { bootstrap }; told "mark" it restarts its CPU
// clock; told "report" it answers { cpuMs } (user + system since the mark). Told { upstream, pipe: true }
// it runs a plain TCP relay instead (socket.pipe both ways, no Kafka framing): the floor of what any
// relay in Node costs, to set the proxy's figure against.
import { connect, createServer, type AddressInfo } from "node:net";
import { startKafkaProxy, type KafkaProxy } from "../../src/protocols/kafka/proxy/index.js";

let proxy: KafkaProxy | undefined;

function startPipe(upstream: string): Promise<{ bootstrap: string; close(): Promise<void> }> {
  const [host, port] = upstream.split(":");
  const server = createServer((client) => {
    const up = connect({ host: host!, port: Number(port) });
    client.setNoDelay(true);
    up.setNoDelay(true);
    client.pipe(up).pipe(client);
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        bootstrap: `127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}
let pipe: Awaited<ReturnType<typeof startPipe>> | undefined;
let mark = process.cpuUsage();
process.on("message", (m: { upstream?: string; pipe?: boolean; cmd?: string }) => {
  if (m.upstream && m.pipe) {
    void startPipe(m.upstream).then((p) => {
      pipe = p;
      process.send!({ bootstrap: p.bootstrap });
    });
  } else if (m.upstream) {
    void startKafkaProxy({ upstream: m.upstream }).then((p) => {
      proxy = p;
      process.send!({ bootstrap: p.bootstrap });
    });
  } else if (m.cmd === "mark") {
    mark = process.cpuUsage();
    process.send!({ marked: true });
  } else if (m.cmd === "report") {
    const u = process.cpuUsage(mark);
    process.send!({ cpuMs: (u.user + u.system) / 1000, stats: proxy?.stats });
  } else if (m.cmd === "close") {
    void Promise.all([proxy?.close(), pipe?.close()]).then(() => process.exit(0));
  }
});
