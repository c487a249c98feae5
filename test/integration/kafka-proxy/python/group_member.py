# A librdkafka group member (confluent-kafka) for the blackhole tests: subscribes to TOPIC in GROUP and
# prints "Partition:P\tVALUE" for each record it reads, until SIGTERM. Unlike kcat, which exits when all
# its broker connections are down at once (as they are when the proxy closes a silenced client's
# connections), an application on librdkafka keeps polling and librdkafka reconnects and rejoins.
# Each assignment goes to stderr as "rebalanced: assigned: TOPIC [P], TOPIC [P]" ("rebalanced: assigned
# nothing" when empty). With GROUP_MEMBER_DEBUG=1, librdkafka's group log (debug=cgrp) goes to stderr too,
# to explain a member that does not rejoin.
#
#   python3 group_member.py BOOTSTRAP TOPIC GROUP CLIENT_ID SESSION_MS HEARTBEAT_MS
import os
import signal
import sys

from confluent_kafka import Consumer

bootstrap, topic, group, client_id, session_ms, heartbeat_ms = sys.argv[1:7]
running = True


def stop(_signum, _frame):
    global running
    running = False


def on_assign(_consumer, partitions):
    if partitions:
        listed = ", ".join(f"{p.topic} [{p.partition}]" for p in partitions)
        print(f"rebalanced: assigned: {listed}", file=sys.stderr, flush=True)
    else:
        print("rebalanced: assigned nothing", file=sys.stderr, flush=True)


signal.signal(signal.SIGTERM, stop)
config = {
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "client.id": client_id,
    "session.timeout.ms": int(session_ms),
    "heartbeat.interval.ms": int(heartbeat_ms),
    "auto.offset.reset": "earliest",
}
if os.environ.get("GROUP_MEMBER_DEBUG") == "1":
    config["debug"] = "cgrp"
consumer = Consumer(config)
consumer.subscribe([topic], on_assign=on_assign)
while running:
    m = consumer.poll(0.2)
    if m is None:
        continue
    if m.error():
        print("error", m.error(), file=sys.stderr, flush=True)
        continue
    print(f"Partition:{m.partition()}\t{m.value().decode()}", flush=True)
consumer.close()
