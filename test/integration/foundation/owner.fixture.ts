// A stand-in for a test process: takes a single-node Kafka and a PostgreSQL through test/support,
// prints their directories as one JSON line, then waits to be killed (or, with --exit, exits: a test
// file that finished while the run goes on).
import { useKafka, usePostgres } from "../../support/index.js";

const [kafka, postgres] = await Promise.all([useKafka({ nodes: 1 }), usePostgres()]);
process.stdout.write(JSON.stringify({ kafkaDir: kafka.dir, postgresDir: postgres.dir }) + "\n");
if (process.argv.includes("--exit")) process.exit(0);
setInterval(() => undefined, 60_000);
