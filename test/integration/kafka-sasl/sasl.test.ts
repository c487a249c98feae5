// The proxy in front of a real Kafka 4 broker whose client listener requires SASL_PLAINTEXT: every client
// authenticates through it (PLAIN and SCRAM; SaslHandshake v1 + SaslAuthenticate, and kafka-python's v0
// handshake with raw tokens), produces and consumes, never reaches the broker directly; a drop rule fires
// on an authenticated connection; a wrong password is an authentication error and harms nobody else.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startKafka, type KafkaCluster } from "../../../src/launch/kafka-local/index.js";
import { drop } from "../../../src/protocols/kafka/rules/index.js";
import { createTopic, faults, kafkajs, proxyFor, uniqueTopic } from "../kafka-proxy/helpers.js";
import { roundTrip } from "./round-trip.js";
import {
  javaSasl,
  kafkajsSasl,
  kcatSasl,
  pythonSasl,
  saslKafkajs,
  type Credentials,
  type Mechanism,
} from "./sasl-clients.js";

const USERS = { alice: "alice-secret", bob: "b0b!pw" };
const as = (mechanism: Mechanism, username: keyof typeof USERS = "alice"): Credentials => ({
  mechanism,
  username,
  password: USERS[username],
});

let kafka: KafkaCluster;

before(async () => {
  kafka = await startKafka({ version: "4", sasl: { users: USERS } });
});
after(async () => {
  await kafka?.stop();
});

const saslBootstrap = () => kafka.sasl!.bootstrap;

test("the launcher's SASL listener refuses unauthenticated clients and accepts its users", async () => {
  await createTopic(kafka.bootstrap, uniqueTopic("sasl-launch")); // the PLAINTEXT listener stays
  const anonymous = kafkajs(saslBootstrap()).admin();
  await assert.rejects(async () => {
    try {
      await anonymous.connect();
      await anonymous.listTopics();
    } finally {
      await anonymous.disconnect();
    }
  }, "a client without credentials was served by the SASL listener");
  assert.deepEqual(kafka.sasl!.mechanisms, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
  assert.deepEqual(kafka.sasl!.users, ["alice", "bob"]);
  const admin = saslKafkajs(saslBootstrap(), as("SCRAM-SHA-512", "bob")).admin();
  await admin.connect();
  try {
    assert.ok((await admin.listTopics()).length > 0);
  } finally {
    await admin.disconnect();
  }
});

for (const client of [
  javaSasl(as("PLAIN")),
  javaSasl(as("SCRAM-SHA-512", "bob")),
  kcatSasl(as("PLAIN")),
  kafkajsSasl(as("PLAIN")),
  kafkajsSasl(as("SCRAM-SHA-256")),
  kafkajsSasl(as("SCRAM-SHA-512", "bob")),
  pythonSasl(as("PLAIN")),
  pythonSasl(as("SCRAM-SHA-256")),
  pythonSasl(as("SCRAM-SHA-512", "bob")),
]) {
  test(`${client.name}: authenticates, produces and consumes through the proxy, never directly`, () =>
    roundTrip(kafka, client));
}

for (const client of [kafkajsSasl(as("SCRAM-SHA-512")), pythonSasl(as("PLAIN")), kcatSasl(as("PLAIN"))]) {
  test(`${client.name}: a drop rule on a topic fires on an authenticated connection`, async () => {
    const { proxy, events } = await proxyFor(saslBootstrap());
    try {
      const topic = uniqueTopic(`sasl-drop-${client.name}`);
      await createTopic(kafka.bootstrap, topic);
      proxy.addRule(drop({ topic, times: 1 }));
      const sent = await client.produce(proxy.bootstrap, topic, ["a:1", "b:2"]);
      assert.ok(sent.ok, sent.output);
      assert.equal(faults(events, "drop").length, 1, JSON.stringify(events));
      // The dropped record never reached the broker: read the topic directly, not through the proxy.
      const got = await kafkajsSasl(as("PLAIN")).consume(saslBootstrap(), topic, 1);
      assert.deepEqual(got, ["2"]);
    } finally {
      await proxy.close();
    }
  });
}

test("a wrong password is an authentication error for every client; the proxy keeps serving others", async () => {
  const { proxy, events } = await proxyFor(saslBootstrap());
  try {
    const topic = uniqueTopic("sasl-wrong");
    await createTopic(kafka.bootstrap, topic);
    const wrong = (m: Mechanism): Credentials => ({ mechanism: m, username: "alice", password: "wrong" });

    for (const m of ["PLAIN", "SCRAM-SHA-512"] as const) {
      const r = await kafkajsSasl(wrong(m)).produce(proxy.bootstrap, topic, ["x:1"]);
      assert.ok(!r.ok);
      assert.match(r.output, /KafkaJSSASLAuthenticationError.*(Authentication failed|invalid credentials)/i);
    }

    const k = await kcatSasl(wrong("PLAIN")).produce(proxy.bootstrap, topic, ["x:1"]);
    assert.ok(!k.ok);
    assert.match(k.output, /Authentication failure|SASL authentication error/);

    // kafka-python 2.0.2 (v0 handshake): the broker just closes the connection after a bad raw token.
    // Through the proxy it must fail exactly as it does directly, and promptly (not by a timeout).
    for (const m of ["PLAIN", "SCRAM-SHA-512"] as const) {
      const direct = await pythonSasl(wrong(m)).produce(saslBootstrap(), topic, ["x:1"]);
      const proxied = await pythonSasl(wrong(m)).produce(proxy.bootstrap, topic, ["x:1"]);
      assert.ok(!direct.ok && !proxied.ok);
      const failure = (s: string) => /FAILED [^\n]*/.exec(s)?.[0];
      assert.equal(failure(proxied.output), failure(direct.output), proxied.output);
    }

    assert.deepEqual(
      events.filter((e) => e.type === "malformed"),
      [],
      "a refused authentication is not a malformed stream",
    );
    const ok = await kafkajsSasl(as("PLAIN")).produce(proxy.bootstrap, topic, ["good:1"]);
    assert.ok(ok.ok, ok.output);
    assert.deepEqual(await pythonSasl(as("SCRAM-SHA-512", "bob")).consume(proxy.bootstrap, topic, 1), ["1"]);
  } finally {
    await proxy.close();
  }
});
