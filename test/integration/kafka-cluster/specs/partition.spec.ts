// The leader isolated from the other brokers while Kafka's VerifiableProducer (Java) writes with
// acks=all through the proxy: see partition.ts.
import { partitionSpec } from "./partition.js";

export default partitionSpec("java");
