// Command line over the Kafka launcher, used by scripts/kafka/*:
//   resolve [--version V]                        fetch the jars (once), print where they are
//   start [--nodes N] [--version V] [--owner-pid PID] [--ready-timeout SECONDS]
//         [--sasl-users NAME:PASSWORD,... [--sasl-mechanisms PLAIN,SCRAM-SHA-256,SCRAM-SHA-512]]
//                                                start; print the cluster as JSON (also in DIR/service.json)
//   stop DIR|DIR/service.json                    stop a started cluster and delete its directory
//   tool NAME [ARGS...]                          run a Java tool (version from FAULTBOX_KAFKA_VERSION)
// Without --owner-pid a started cluster runs until `stop`; with it, it also stops when that process ends.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { endQuietlyOnClosedOutput } from "../../core/stdio.js";
import { LaunchError } from "../process-guard/launch-error.js";
import { startKafka, stopKafkaRecord, type KafkaClusterRecord } from "./start.js";
import { resolveKafka } from "./resolve.js";
import { isKafkaTool, kafkaToolCommand } from "./tools.js";
import { KAFKA_TOOLS } from "./versions.js";
import { parseSaslUsers, validateSasl, type KafkaSaslOptions, type SaslMechanism } from "./sasl.js";

export const RECORD_FILE = "service.json";

/** Reads `--name value` options; returns them and the remaining arguments. */
export function parseOptions(
  args: string[],
  known: string[],
): { options: Map<string, string>; rest: string[] } {
  const options = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("--")) {
      const name = a.slice(2);
      if (!known.includes(name))
        throw new UsageError(`unknown option ${a} (known: ${known.map((k) => `--${k}`).join(", ")})`);
      const value = args[++i];
      if (value === undefined) throw new UsageError(`${a} needs a value`);
      options.set(name, value);
    } else rest.push(a);
  }
  return { options, rest };
}

export class UsageError extends Error {}

export function readRecord<R>(target: string | undefined, what: string): R {
  if (!target)
    throw new UsageError(`stop needs the ${what} directory printed by start (or its ${RECORD_FILE})`);
  const file = existsSync(target) && statSync(target).isDirectory() ? join(target, RECORD_FILE) : target;
  if (!existsSync(file)) throw new UsageError(`${file} does not exist: is the ${what} already stopped?`);
  return JSON.parse(readFileSync(file, "utf8")) as R;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

function saslOption(users: string | undefined, mechanisms: string | undefined): KafkaSaslOptions | undefined {
  if (users === undefined) {
    if (mechanisms !== undefined) throw new UsageError("--sasl-mechanisms needs --sasl-users");
    return undefined;
  }
  try {
    return validateSasl({
      users: parseSaslUsers(users),
      ...(mechanisms !== undefined ? { mechanisms: mechanisms.split(",") as SaslMechanism[] } : {}),
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function runTool(name: string | undefined, args: string[]): Promise<number> {
  if (!name) throw new UsageError("tool needs a tool name, e.g. kafka-topics");
  if (!isKafkaTool(name))
    throw new UsageError(`unknown Kafka tool "${name}": known tools are ${KAFKA_TOOLS.join(", ")}`);
  const argv = await kafkaToolCommand(name, process.env.FAULTBOX_KAFKA_VERSION);
  const child = spawn(argv[0]!, [...argv.slice(1), ...args], { stdio: "inherit" });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

export async function kafkaCli(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case "resolve": {
      const { options } = parseOptions(args, ["version"]);
      const install = await resolveKafka(options.get("version"));
      process.stdout.write(`Kafka ${install.version}: ${install.libDir}\n`);
      return 0;
    }
    case "start": {
      const { options, rest } = parseOptions(args, [
        "nodes",
        "version",
        "owner-pid",
        "ready-timeout",
        "sasl-users",
        "sasl-mechanisms",
      ]);
      if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
      const timeout = positiveInt(options.get("ready-timeout"), "--ready-timeout");
      const sasl = saslOption(options.get("sasl-users"), options.get("sasl-mechanisms"));
      const cluster = await startKafka({
        nodes: positiveInt(options.get("nodes"), "--nodes") ?? 1,
        version: options.get("version"),
        ownerPid: positiveInt(options.get("owner-pid"), "--owner-pid") ?? null,
        readyTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
        ...(sasl ? { sasl } : {}),
      });
      const { stop: _stop, ...record } = cluster;
      const json = JSON.stringify(record, null, 2);
      writeFileSync(join(record.dir, RECORD_FILE), json + "\n");
      process.stdout.write(json + "\n");
      return 0;
    }
    case "stop": {
      await stopKafkaRecord(readRecord<KafkaClusterRecord>(args[0], "Kafka cluster"));
      return 0;
    }
    case "tool":
      return runTool(args[0], args.slice(1));
    default:
      throw new UsageError(`unknown command "${command ?? ""}": use resolve, start, stop or tool`);
  }
}

/** Runs `cli` as a process's main: usage and launch errors print plainly, exit 1 (usage 2). */
export async function runMain(cli: (argv: string[]) => Promise<number>): Promise<void> {
  endQuietlyOnClosedOutput(); // `scripts/kafka/start | head -1` is a normal end
  try {
    process.exitCode = await cli(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`usage error: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof LaunchError || !process.env.FAULTBOX_DEBUG) {
      // Our errors say what and what to do; a stack trace adds nothing (FAULTBOX_DEBUG=1 shows it).
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exitCode = 1;
    } else throw err;
  }
}
