// SASL credentials for the Kafka steps, the kafka_ready() probe and the topic() observer, read from the
// Kafka service's declared env (the way the postgres steps take POSTGRES_USER/POSTGRES_PASSWORD):
//   env = {"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "alice", "KAFKA_SASL_PASSWORD": "..."}
// With none of them set, connections are PLAINTEXT as before. Only SASL_PLAINTEXT: no TLS.
import { SpecError } from "../../../core/errors.js";

export const SASL_ENV = {
  mechanism: "KAFKA_SASL_MECHANISM",
  username: "KAFKA_SASL_USERNAME",
  password: "KAFKA_SASL_PASSWORD",
} as const;

export const CLIENT_SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type ClientSaslMechanism = (typeof CLIENT_SASL_MECHANISMS)[number];

export interface KafkaSaslCredentials {
  mechanism: ClientSaslMechanism;
  username: string;
  password: string;
}

/** The credentials the env declares, or undefined when it declares none; a partial set is an error. */
export function saslFromEnv(
  env: Record<string, string> | undefined,
  service = "kafka",
): KafkaSaslCredentials | undefined {
  const get = (k: string) => env?.[k];
  const given = Object.values(SASL_ENV).filter((k) => get(k) !== undefined);
  if (given.length === 0) return undefined;
  const missing = Object.values(SASL_ENV).filter((k) => !get(k));
  if (missing.length)
    throw new SpecError(
      `service "${service}": SASL needs ${Object.values(SASL_ENV).join(", ")} in env; ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} missing or empty`,
    );
  const mechanism = get(SASL_ENV.mechanism)!.toUpperCase();
  if (!(CLIENT_SASL_MECHANISMS as readonly string[]).includes(mechanism))
    throw new SpecError(
      `service "${service}": ${SASL_ENV.mechanism}="${get(SASL_ENV.mechanism)}" is not supported; use ${CLIENT_SASL_MECHANISMS.join(", ")}`,
    );
  return {
    mechanism: mechanism as ClientSaslMechanism,
    username: get(SASL_ENV.username)!,
    password: get(SASL_ENV.password)!,
  };
}

/** kafkajs's `sasl` option for these credentials. */
export function kafkajsSasl(c: KafkaSaslCredentials) {
  const auth = { username: c.username, password: c.password };
  switch (c.mechanism) {
    case "PLAIN":
      return { mechanism: "plain" as const, ...auth };
    case "SCRAM-SHA-256":
      return { mechanism: "scram-sha-256" as const, ...auth };
    case "SCRAM-SHA-512":
      return { mechanism: "scram-sha-512" as const, ...auth };
  }
}
