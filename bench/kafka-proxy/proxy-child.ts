// The proxy in a process of its own, so a benchmark can read the proxy's CPU time alone. Started with
// child_process.fork(); told { upstream } it answers { bootstrap }; told "mark" it restarts its CPU
// clock; told "report" it answers { cpuMs } (user + system since the mark).
import { startKafkaProxy, type KafkaProxy } from "../../src/protocols/kafka/proxy/index.js";

let proxy: KafkaProxy | undefined;
let mark = process.cpuUsage();
process.on("message", (m: { upstream?: string; cmd?: string }) => {
  if (m.upstream) {
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
    void proxy?.close().then(() => process.exit(0));
  }
});
