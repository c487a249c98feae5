// The leader isolated from the other brokers and from the clients (isolate(clients=True)) while a
// librdkafka producer (confluent-kafka) writes with acks=all through the proxy: see partition.ts.
import { partitionSpec } from "./partition.js";

export default partitionSpec("librdkafka", { clients: true });
