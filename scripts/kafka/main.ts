// Entry of scripts/kafka/*: see src/launch/kafka-local/cli.ts.
import { kafkaCli, runMain } from "../../src/launch/kafka-local/cli.js";

await runMain(kafkaCli);
