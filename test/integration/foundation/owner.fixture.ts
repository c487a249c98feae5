// A stand-in for a test process: takes a single-node Kafka and a PostgreSQL through test/support (in
// stand-alone mode: the caller removes FAULTBOX_TEST_STATE_DIR), prints their directories as one JSON
// line, then waits to be killed.
import { useKafka, usePostgres } from "../../support/index.js";

const [kafka, postgres] = await Promise.all([useKafka({ nodes: 1 }), usePostgres()]);
process.stdout.write(JSON.stringify({ kafkaDir: kafka.dir, postgresDir: postgres.dir }) + "\n");
setInterval(() => undefined, 60_000);
