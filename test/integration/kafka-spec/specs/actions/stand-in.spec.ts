// Service actions on the local Kafka stand-in (an image run as a local KRaft broker), with a client we
// did not write: Java's console producer, idempotent (its default), acks=all, reading lines from a file
// that the test appends to. It lives across the broker's kill and restart, through the proxy.
//
//   - test_idempotent_producer_across_kill_restart: a drop rule swallows r1 (the proxy acknowledges it
//     and lowers the sequence numbers of later batches), r2 is stored, the broker is SIGKILLed and
//     started on its log dirs, then r3 and r4. The broker recovered the producer's state from its log
//     (sequence of r2), and the proxy kept its shift: r3 and r4 are stored, the producer reports no error
//     (with a fresh proxy after the restart, it logs OUT_OF_ORDER_SEQUENCE_NUMBER and recovers by
//     bumping its epoch).
//   - test_pause_window_holds_records: r5 is stored; inside fault(kafka, pause()) r6 is written, and
//     events() answers at once without it (observers of a paused service are not drained); once the
//     window closes (resume) r6 is stored, once.
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineSpec } from "../../../../../src/index.js";
import { topicSource } from "../../../../../src/protocols/kafka/plugin/index.js";
import { kafkaTool } from "../../../../support/index.js";

const TOPIC = "orders-idem";

export default defineSpec(async (fb) => {
  const dir = mkdtempSync(join(tmpdir(), "fb-actions-"));
  const lines = join(dir, "lines.txt");
  writeFileSync(lines, "");
  const producerArgv = await kafkaTool("kafka-console-producer");
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const broker = fb.interface("broker", "kafka", 9092);
  const kafka = fb.service("kafka", {
    interfaces: [broker],
    image: "apache/kafka:4.1.1",
    observe: [topicSource(TOPIC)],
    // A fresh broker per test, and a fresh producer reading the lines from the start: empty them first.
    seed: async () => writeFileSync(lines, ""),
  });
  fb.service("producer", {
    binary: "sh",
    args: [
      "-c",
      `tail -n +1 -f ${quote(lines)} | exec ${producerArgv.map(quote).join(" ")} --bootstrap-server "$KAFKA" --topic ${TOPIC} ` +
        "--producer-property enable.idempotence=true --producer-property acks=all " +
        "--producer-property linger.ms=0 --producer-property client.id=idempotent-console",
    ],
    env: { KAFKA: broker.addr },
    dependsOn: ["kafka"],
  });
  const send = (value: string) => appendFileSync(lines, `${value}\n`);
  const stored = (value: string) => (e: { type: string; data: Record<string, unknown> }) =>
    e.type === "topic" && e.data.value === value;

  fb.test(
    "idempotent_producer_across_kill_restart",
    async () => {
      await fb.fault(
        kafka.broker,
        async () => {
          send("r1");
          await fb.assertEventually({
            where: (e) => e.type === "proxy" && e.data.action === "drop",
            timeout: "90s",
          });
        },
        fb.rules.drop({ topic: TOPIC }),
      );
      send("r2");
      await fb.assertEventually({ where: stored("r2"), timeout: "60s" });
      await kafka.restart({ kill: true });
      send("r3");
      send("r4");
      await fb.assertEventually({ where: stored("r4"), timeout: "120s" });
      const values = (await fb.events({ where: (e) => e.type === "topic" })).map((e) => e.data.value);
      fb.assertEq(values, ["r2", "r3", "r4"], "what the broker stored");
      // A proxy that forgot its shift sends r3 with the client's own sequence, one past what the
      // broker holds: the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER (the Java client then bumps its
      // epoch and retries, so only its log tells).
      await fb.assertNever({
        where: (e) =>
          e.type === "stderr" && /OUT_OF_ORDER_SEQUENCE|Got error produce response/.test(String(e.data.raw)),
      });
    },
    { timeout: "300s" },
  );

  fb.test(
    "pause_window_holds_records",
    async () => {
      send("r5");
      await fb.assertEventually({ where: stored("r5"), timeout: "120s" });
      await fb.fault(
        kafka,
        async () => {
          send("r6");
          // Time for the producer to send r6 to the stopped JVM (no answer comes while it is paused).
          await new Promise((r) => setTimeout(r, 3000));
          // events() does not wait for the paused broker (nothing there can answer).
          const during = (await fb.events({ where: (e) => e.type === "topic" })).map((e) => e.data.value);
          fb.assertEq(during, ["r5"], "nothing stored while paused");
        },
        fb.actions.pause(),
      );
      await fb.assertEventually({ where: stored("r6"), timeout: "120s" });
      const values = (await fb.events({ where: (e) => e.type === "topic" })).map((e) => e.data.value);
      fb.assertEq(values, ["r5", "r6"], "r6 stored once, after the resume");
    },
    { timeout: "300s" },
  );
});
