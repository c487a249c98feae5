// The Kafka plugin's SASL pieces without a broker: credentials from the service env, and the observer's
// SCRAM client checked against RFC 7677's SCRAM-SHA-256 example exchange.
import { test } from "node:test";
import assert from "node:assert/strict";
import { saslFromEnv, kafkajsSasl } from "../../src/protocols/kafka/plugin/sasl.js";
import { ScramClient } from "../../src/protocols/kafka/plugin/observer/scram.js";

test("credentials come from KAFKA_SASL_* in the service env; none means PLAINTEXT", () => {
  assert.equal(saslFromEnv({ OTHER: "x" }), undefined);
  assert.equal(saslFromEnv(undefined), undefined);
  const c = saslFromEnv({
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_SASL_USERNAME: "alice",
    KAFKA_SASL_PASSWORD: "pw",
  });
  assert.deepEqual(c, { mechanism: "SCRAM-SHA-512", username: "alice", password: "pw" });
  assert.deepEqual(kafkajsSasl(c!), { mechanism: "scram-sha-512", username: "alice", password: "pw" });
});

test("a partial or unsupported SASL env is a spec error naming the key and the service", () => {
  assert.throws(
    () => saslFromEnv({ KAFKA_SASL_USERNAME: "alice" }, "kafka"),
    /service "kafka": SASL needs .*KAFKA_SASL_MECHANISM, KAFKA_SASL_PASSWORD are missing or empty/,
  );
  assert.throws(
    () => saslFromEnv({ KAFKA_SASL_MECHANISM: "GSSAPI", KAFKA_SASL_USERNAME: "a", KAFKA_SASL_PASSWORD: "b" }),
    /KAFKA_SASL_MECHANISM="GSSAPI" is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/,
  );
});

test("SCRAM-SHA-256 client messages match RFC 7677's example; a forged server signature is refused", () => {
  const nonce = "rOprNGfwEbeRWgbNEkqO";
  const serverFirst = Buffer.from(
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  );
  const c = new ScramClient("sha256", "user", "pencil", nonce);
  assert.equal(c.first().toString(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  assert.equal(
    c.final(serverFirst).toString(),
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  );
  c.verify(Buffer.from("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  assert.throws(() => c.verify(Buffer.from("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")), /signature/);
  assert.throws(
    () => new ScramClient("sha256", "user", "pencil", nonce).final(Buffer.from("r=other,s=AA==,i=4096")),
    /malformed server-first/,
  );
});
