# A librdkafka consumer (confluent-kafka) that processes each record, then commits its offset
# synchronously (at-least-once), for the response-fault tests. When a commit fails, it says so, waits
# for a line on stdin (the test looks at what the broker stored meanwhile), then rewinds to the last
# offset it knows committed and processes from there again.
#
#   python3 process_then_commit.py BOOTSTRAP TOPIC GROUP CLIENT_ID COUNT
#
# Prints "processed OFFSET VALUE", "committed NEXT", "commit-failed NEXT REASON", "rewound OFFSET";
# exits 0 once its commit of offset COUNT has succeeded.
import sys

from confluent_kafka import Consumer, KafkaException, TopicPartition

bootstrap, topic, group, client_id, count = sys.argv[1:6]
count = int(count)
consumer = Consumer(
    {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": client_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    }
)
consumer.assign([TopicPartition(topic, 0)])
committed = 0
while True:
    m = consumer.poll(0.5)
    if m is None or m.error():
        continue
    print("processed", m.offset(), m.value().decode(), flush=True)
    nxt = m.offset() + 1
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, nxt)], asynchronous=False)
    except KafkaException as e:
        print("commit-failed", nxt, str(e), flush=True)
        sys.stdin.readline()
        consumer.seek(TopicPartition(topic, 0, committed))
        print("rewound", committed, flush=True)
        continue
    committed = nxt
    print("committed", nxt, flush=True)
    if nxt >= count:
        break
consumer.close()
