// The launcher's SASL option without starting Kafka: what it writes (listener, JAAS users, SCRAM
// credentials for the storage tool) and the errors for bad options, from TypeScript and from the CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { kafkaCli, UsageError } from "../../../src/launch/kafka-local/cli.js";
import { startKafka } from "../../../src/launch/kafka-local/index.js";
import {
  parseSaslUsers,
  saslServerProperties,
  scramFormatArgs,
  validateSasl,
} from "../../../src/launch/kafka-local/sasl.js";
import { serverProperties } from "../../../src/launch/kafka-local/server-properties.js";

test("a SASL cluster gets a SASL_PLAINTEXT listener next to PLAINTEXT, PLAIN users and SCRAM credentials", () => {
  const sasl = validateSasl({ users: { alice: "a-secret", bob: "b0b!pw" } });
  const node = { nodeId: 1, brokerPort: 9092, controllerPort: 9093, saslPort: 9094 };
  const props = serverProperties(
    node,
    [node],
    "127.0.0.1",
    "/d",
    { major: 4 } as never,
    {},
    saslServerProperties(sasl),
  );
  assert.match(
    props,
    /^listeners=PLAINTEXT:\/\/127\.0\.0\.1:9092,CONTROLLER:\/\/127\.0\.0\.1:9093,SASL_PLAINTEXT:\/\/127\.0\.0\.1:9094$/m,
  );
  assert.match(
    props,
    /^advertised\.listeners=PLAINTEXT:\/\/127\.0\.0\.1:9092,SASL_PLAINTEXT:\/\/127\.0\.0\.1:9094$/m,
  );
  assert.match(props, /^inter\.broker\.listener\.name=PLAINTEXT$/m);
  assert.match(props, /^sasl\.enabled\.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512$/m);
  assert.match(
    props,
    /plain\.sasl\.jaas\.config=.*PlainLoginModule required user_alice="a-secret" user_bob="b0b!pw";/,
  );
  assert.deepEqual(scramFormatArgs(sasl), [
    "--add-scram",
    "SCRAM-SHA-256=[name=alice,password=a-secret]",
    "--add-scram",
    "SCRAM-SHA-256=[name=bob,password=b0b!pw]",
    "--add-scram",
    "SCRAM-SHA-512=[name=alice,password=a-secret]",
    "--add-scram",
    "SCRAM-SHA-512=[name=bob,password=b0b!pw]",
  ]);
  // Without a SASL port nothing changes.
  const plain = serverProperties({ ...node, saslPort: undefined }, [node], "127.0.0.1", "/d", {
    major: 4,
  } as never);
  assert.doesNotMatch(plain, /SASL/);
});

test("bad SASL options are refused with a message naming what is wrong", () => {
  assert.throws(() => validateSasl({ users: {} }), /at least one user/);
  assert.throws(() => validateSasl({ users: { "al ice": "x" } }), /user name "al ice" is not allowed/);
  assert.throws(
    () => validateSasl({ users: { alice: 'a"b' } }),
    /password of SASL user "alice" is not allowed/,
  );
  assert.throws(() => validateSasl({ users: { alice: "a,b" } }), /password of SASL user "alice"/);
  assert.throws(() => validateSasl({ users: { alice: "" } }), /password of SASL user "alice"/);
  assert.throws(
    () => validateSasl({ users: { alice: "x" }, mechanisms: ["GSSAPI" as never] }),
    /unknown SASL mechanism "GSSAPI": use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/,
  );
  assert.throws(() => validateSasl({ users: { alice: "x" }, mechanisms: [] }), /at least one of/);
  assert.throws(() => parseSaslUsers("alice"), /"alice" is not name:password/);
  assert.throws(() => parseSaslUsers("alice:x,alice:y"), /user "alice" twice/);
  assert.deepEqual(parseSaslUsers("alice:a:b,bob:c"), { alice: "a:b", bob: "c" });
});

test("startKafka and scripts/kafka/start refuse bad SASL options before starting anything", async () => {
  await assert.rejects(startKafka({ sasl: { users: { "a b": "x" } } }), /user name "a b" is not allowed/);
  await assert.rejects(
    kafkaCli(["start", "--sasl-mechanisms", "PLAIN"]),
    (e: unknown) => e instanceof UsageError && /--sasl-mechanisms needs --sasl-users/.test(e.message),
  );
  await assert.rejects(
    kafkaCli(["start", "--sasl-users", "alice:x", "--sasl-mechanisms", "PLAIN,KERBEROS"]),
    (e: unknown) => e instanceof UsageError && /unknown SASL mechanism "KERBEROS"/.test(e.message),
  );
  await assert.rejects(
    kafkaCli(["start", "--sasl-users", "alice"]),
    (e: unknown) => e instanceof UsageError && /not name:password/.test(e.message),
  );
});
