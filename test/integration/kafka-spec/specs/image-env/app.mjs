// A tiny producer service: POST /produce?id=X sends one record {"id":X} to topic "orders" at
// KAFKA_BROKERS (kafkajs) and answers with the partition/offset; GET / answers 200 (health).
// It listens on FAULTBOX_APP_API_PORT, which Faultbox sets for the service's own interface.
import { createServer } from "node:http";
import kafkajs from "kafkajs";

const { Kafka, logLevel } = kafkajs;
const brokers = process.env.KAFKA_BROKERS ?? "";
const port = Number(process.env.FAULTBOX_APP_API_PORT);
console.log(JSON.stringify({ event: "config", kafka_brokers: brokers }));

const kafka = new Kafka({
  clientId: "image-env-app",
  brokers: brokers.split(","),
  logLevel: logLevel.NOTHING,
  retry: { retries: 3 },
});
const producer = kafka.producer({ allowAutoTopicCreation: true });
let connected;

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method === "POST" && url.pathname === "/produce") {
    const id = url.searchParams.get("id") ?? "none";
    try {
      connected ??= producer.connect();
      await connected;
      const [meta] = await producer.send({
        topic: "orders",
        acks: -1,
        messages: [{ key: id, value: JSON.stringify({ id }) }],
      });
      console.log(JSON.stringify({ event: "produced", id, offset: meta?.baseOffset }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, id }));
    } catch (err) {
      console.log(JSON.stringify({ event: "produce_failed", id, error: String(err) }));
      res
        .writeHead(503, { "content-type": "application/json" })
        .end(JSON.stringify({ ok: false, error: String(err) }));
    }
    return;
  }
  res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
});
server.listen(port, "127.0.0.1");

const stop = async () => {
  server.close();
  await producer.disconnect().catch(() => undefined);
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
