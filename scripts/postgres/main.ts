// Entry of scripts/postgres/*: see src/launch/postgres-local/cli.ts.
import { runMain } from "../../src/launch/kafka-local/cli.js";
import { postgresCli } from "../../src/launch/postgres-local/cli.js";

await runMain(postgresCli);
