// Everything the order services read from their environment, parsed and checked in one place so a
// Faultbox spec (or a test) can wire a service with env vars alone and gets a clear error otherwise.

export type OrdersMode = "naive" | "correct";

export interface CommonConfig {
  /** Which behaviour to run: "naive" has the classic dual-write bugs, "correct" does not. */
  mode: OrdersMode;
  /** Kafka bootstrap addresses, "host:port" each (KAFKA_BROKERS, comma separated). */
  brokers: string[];
  /** PostgreSQL connection string (DATABASE_URL). */
  databaseUrl: string;
  /** HTTP listen address; port 0 picks a free port, reported in the "listening" stdout event. */
  host: string;
  port: number;
  topic: string;
  /** Partitions for the topic when the service has to create it. */
  topicPartitions: number;
  /** How long startup keeps retrying an unreachable Kafka or database before exiting non-zero. */
  startupTimeoutMs: number;
}

export interface ServiceConfig extends CommonConfig {
  /** Correct mode: how often the outbox relay looks for work. */
  relayIntervalMs: number;
  /** Correct mode: re-send an outbox record not seen processed after this long (end-to-end loss repair). */
  resendAfterMs: number;
}

export interface ConsumerConfig extends CommonConfig {
  group: string;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string, example: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set (example: ${name}=${example})`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} must be an integer >= ${min}`);
  }
  return value;
}

function parseMode(env: Env): OrdersMode {
  const raw = (env.ORDERS_MODE ?? "correct").trim();
  if (raw === "naive" || raw === "correct") return raw;
  throw new ConfigError(`ORDERS_MODE=${JSON.stringify(raw)} must be "naive" or "correct"`);
}

function parseBrokers(env: Env): string[] {
  const brokers = required(env, "KAFKA_BROKERS", "127.0.0.1:9092")
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  for (const broker of brokers) {
    if (!/^[^:\s]+:\d+$/.test(broker)) {
      throw new ConfigError(`KAFKA_BROKERS entry ${JSON.stringify(broker)} must look like host:port`);
    }
  }
  if (brokers.length === 0) throw new ConfigError("KAFKA_BROKERS lists no broker");
  return brokers;
}

function parseCommon(env: Env, defaultPort: number): CommonConfig {
  return {
    mode: parseMode(env),
    brokers: parseBrokers(env),
    databaseUrl: required(env, "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/orders"),
    host: env.HOST?.trim() || "127.0.0.1",
    port: integer(env, "PORT", defaultPort, 0),
    topic: env.TOPIC?.trim() || "order-events",
    topicPartitions: integer(env, "TOPIC_PARTITIONS", 1, 1),
    startupTimeoutMs: integer(env, "STARTUP_TIMEOUT_MS", 30_000, 0),
  };
}

export function serviceConfig(env: Env): ServiceConfig {
  return {
    ...parseCommon(env, 8080),
    relayIntervalMs: integer(env, "RELAY_INTERVAL_MS", 200, 10),
    resendAfterMs: integer(env, "RESEND_AFTER_MS", 5_000, 100),
  };
}

export function consumerConfig(env: Env): ConsumerConfig {
  return { ...parseCommon(env, 8081), group: env.GROUP?.trim() || "order-consumer" };
}
