// An optional SASL_PLAINTEXT listener for the local Kafka nodes, next to the PLAINTEXT one (which stays
// the inter-broker listener and the readiness probe's, so a SASL cluster starts exactly like a plain one).
// PLAIN users live in the listener's JAAS config; SCRAM credentials are written into the metadata log
// when the storage is formatted (`kafka-storage format --add-scram`, KRaft's way: no running broker needed).

/** The SASL mechanisms the launcher can enable. */
export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface KafkaSaslOptions {
  /** User name → password. Every user gets PLAIN and SCRAM credentials for the enabled mechanisms. */
  users: Record<string, string>;
  /** Mechanisms to enable. Default: all of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. */
  mechanisms?: SaslMechanism[];
}

/** What the started cluster's record says about its SASL listener. */
export interface KafkaSaslRecord {
  /** Bootstrap of the SASL_PLAINTEXT listeners, "host:port,...". */
  bootstrap: string;
  mechanisms: SaslMechanism[];
  /** User names (never the passwords). */
  users: string[];
}

export const SASL_LISTENER = "SASL_PLAINTEXT";

// Names go into JAAS option names (user_<name>) and SCRAM's name=...; passwords into a quoted JAAS
// value and the storage tool's [name=..,password=..] list: characters with a meaning there are refused
// rather than escaped, since every tool parses them its own way.
const USER_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const PASSWORD = /^[A-Za-z0-9._~!@#$%^&*()+\-:;?/<>|{}]{1,128}$/;

/** Checks the options; throws an Error naming the bad user, password rule or mechanism. */
export function validateSasl(sasl: KafkaSaslOptions): Required<KafkaSaslOptions> {
  if (!sasl || typeof sasl !== "object" || !sasl.users || typeof sasl.users !== "object")
    throw new Error("sasl needs users: { name: password, ... }");
  const names = Object.keys(sasl.users);
  if (names.length === 0) throw new Error("sasl needs at least one user");
  for (const name of names) {
    if (!USER_NAME.test(name))
      throw new Error(`SASL user name ${JSON.stringify(name)} is not allowed: use 1-64 of A-Z a-z 0-9 . _ -`);
    const password = sasl.users[name];
    if (typeof password !== "string" || !PASSWORD.test(password))
      throw new Error(
        `the password of SASL user ${JSON.stringify(name)} is not allowed: use 1-128 printable ASCII characters without spaces, quotes, backslashes, commas, '=' or square brackets`,
      );
  }
  const mechanisms = sasl.mechanisms ?? [...SASL_MECHANISMS];
  if (!Array.isArray(mechanisms) || mechanisms.length === 0)
    throw new Error(`sasl.mechanisms must name at least one of ${SASL_MECHANISMS.join(", ")}`);
  for (const m of mechanisms)
    if (!SASL_MECHANISMS.includes(m))
      throw new Error(`unknown SASL mechanism ${JSON.stringify(m)}: use ${SASL_MECHANISMS.join(", ")}`);
  return { users: sasl.users, mechanisms: [...new Set(mechanisms)] };
}

/** server.properties entries of the SASL listener (the listener itself is added by serverProperties). */
export function saslServerProperties(sasl: Required<KafkaSaslOptions>): Record<string, string> {
  const prefix = `listener.name.${SASL_LISTENER.toLowerCase()}`;
  const props: Record<string, string> = { "sasl.enabled.mechanisms": sasl.mechanisms.join(",") };
  for (const m of sasl.mechanisms) {
    const jaas =
      m === "PLAIN"
        ? "org.apache.kafka.common.security.plain.PlainLoginModule required " +
          Object.entries(sasl.users)
            .map(([name, password]) => `user_${name}="${password}"`)
            .join(" ") +
          ";"
        : "org.apache.kafka.common.security.scram.ScramLoginModule required;";
    props[`${prefix}.${m.toLowerCase()}.sasl.jaas.config`] = jaas;
  }
  return props;
}

/** `kafka-storage format` arguments creating the SCRAM credentials of every user. */
export function scramFormatArgs(sasl: Required<KafkaSaslOptions>): string[] {
  const args: string[] = [];
  for (const m of sasl.mechanisms) {
    if (m === "PLAIN") continue;
    for (const [name, password] of Object.entries(sasl.users))
      args.push("--add-scram", `${m}=[name=${name},password=${password}]`);
  }
  return args;
}

/** Parses the CLI's `--sasl-users name:password,...`. */
export function parseSaslUsers(value: string): Record<string, string> {
  const users: Record<string, string> = {};
  for (const entry of value.split(",")) {
    const i = entry.indexOf(":");
    if (i <= 0 || i === entry.length - 1)
      throw new Error(`--sasl-users entry ${JSON.stringify(entry)} is not name:password`);
    const name = entry.slice(0, i);
    if (name in users) throw new Error(`--sasl-users names user ${JSON.stringify(name)} twice`);
    users[name] = entry.slice(i + 1);
  }
  return users;
}
