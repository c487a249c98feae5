// Command line over the PostgreSQL launcher, used by scripts/postgres/*:
//   start [--owner-pid PID] [--port PORT]   start; print the server as JSON (also in DIR/service.json)
//   stop DIR|DIR/service.json               stop it and delete its directory
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseOptions, readRecord, UsageError, RECORD_FILE } from "../kafka-local/cli.js";
import { startPostgres, stopPostgresRecord, type PostgresRecord } from "./start.js";

export async function postgresCli(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case "start": {
      const { options, rest } = parseOptions(args, ["owner-pid", "port"]);
      if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
      const owner = options.get("owner-pid");
      const port = options.get("port");
      const server = await startPostgres({
        ownerPid: owner === undefined ? null : Number(owner),
        port: port === undefined ? undefined : Number(port),
      });
      const { stop: _stop, ...record } = server;
      const json = JSON.stringify(record, null, 2);
      writeFileSync(join(record.dir, RECORD_FILE), json + "\n");
      process.stdout.write(json + "\n");
      return 0;
    }
    case "stop":
      await stopPostgresRecord(readRecord<PostgresRecord>(args[0], "PostgreSQL"));
      return 0;
    default:
      throw new UsageError(`unknown command "${command ?? ""}": use start or stop`);
  }
}
