// The leader isolated from the other brokers and from the clients (isolate(clients=True)) while a
// kafkajs producer (node/verifiable_producer.mjs) writes with acks=all, idempotent, through the proxy:
// see partition.ts.
import { partitionSpec } from "./partition.js";

export default partitionSpec("kafkajs", { clients: true });
