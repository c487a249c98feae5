// The leader isolated from the other brokers while a kafkajs producer writes with acks=all through the
// proxy: see partition.ts.
import { partitionSpec } from "./partition.js";

export default partitionSpec("kafkajs");
