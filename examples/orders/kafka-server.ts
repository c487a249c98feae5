// A one-node Apache Kafka (KRaft) for the orders spec: listens on 127.0.0.1:$KAFKA_PORT, stays in the
// foreground until SIGTERM/SIGINT, then stops the broker. Uses the project's local Kafka launcher
// (jars from Maven Central, Java 17); KAFKA_VERSION picks the release ("4" default, or "3.9").
import { createConnection } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { startKafka } from "../../src/launch/kafka-local/index.js";
import { errorText } from "./log.js";

const PORT_WAIT_MS = 30_000;

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

const port = Number(process.env.KAFKA_PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write(
    "kafka-server: KAFKA_PORT must be set to the broker port (example: KAFKA_PORT=19092)\n",
  );
  process.exit(2);
}

try {
  // the broker of the previous test may still be shutting down: wait (bounded) for its port
  for (const deadline = Date.now() + PORT_WAIT_MS; await listening(port);) {
    if (Date.now() > deadline) throw new Error(`port ${port} is still in use after ${PORT_WAIT_MS / 1000} s`);
    await sleep(100);
  }
  // ownerPid = this process: the broker dies with us, even on SIGKILL
  const cluster = await startKafka({
    nodes: 1,
    version: process.env.KAFKA_VERSION ?? "4",
    brokerPorts: [port],
    ownerPid: process.pid,
  });
  process.stdout.write(
    JSON.stringify({ event: "kafka_ready", bootstrap: cluster.bootstrap, version: cluster.version }) + "\n",
  );
  const stop = () => {
    cluster.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`kafka-server: stopping the broker failed: ${errorText(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // the broker runs in other processes: keep this one alive until a signal arrives
  setInterval(() => undefined, 1 << 30);
} catch (err) {
  process.stderr.write(`kafka-server: ${errorText(err)}\n`);
  process.exit(1);
}
