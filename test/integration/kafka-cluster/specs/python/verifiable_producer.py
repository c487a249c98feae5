# A librdkafka producer (confluent-kafka) that reports like Kafka's VerifiableProducer, for the cluster
# specs: it sends the values 0, 1, 2, ... to TOPIC at THROUGHPUT records per second and prints one JSON
# line per outcome, {"name": "producer_send_success", "value": "7", "partition": 0, "offset": 7} for an
# acknowledged record and {"name": "producer_send_error", "value": "7", "message": ...} for a failed
# one, until SIGTERM; then it waits up to 30 s for the answers still due and exits.
#
#   python3 verifiable_producer.py BOOTSTRAP TOPIC ACKS THROUGHPUT      (ACKS: all or 1)
import json
import signal
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, acks, throughput = sys.argv[1:5]
interval = 1.0 / float(throughput)
running = True


def stop(_signum, _frame):
    global running
    running = False


def report(err, msg):
    value = msg.value().decode()
    if err is None:
        line = {"name": "producer_send_success", "value": value, "partition": msg.partition(), "offset": msg.offset()}
    else:
        line = {"name": "producer_send_error", "value": value, "message": str(err)}
    print(json.dumps(line), flush=True)


signal.signal(signal.SIGTERM, stop)
producer = Producer(
    {
        "bootstrap.servers": bootstrap,
        "client.id": "verifiable-producer-librdkafka",
        "acks": acks,
        # acks=all: idempotent, as the Java VerifiableProducer is by default (no duplicates on retries).
        "enable.idempotence": acks == "all",
    }
)
n = 0
next_send = time.monotonic()
while running:
    producer.produce(topic, value=str(n).encode(), on_delivery=report)
    n += 1
    next_send += interval
    while running and time.monotonic() < next_send:
        producer.poll(max(0.0, min(0.1, next_send - time.monotonic())))
producer.flush(30)
