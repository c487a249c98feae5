"""A pytest test (confluent-kafka, urllib from the standard library) that drives `faultbox proxy`
over its HTTP control API:

    faultbox proxy --kafka kafka=127.0.0.1:9092
    FAULTBOX_PROXY_URL=http://127.0.0.1:8475 pytest examples/proxy/python

It adds a drop rule, produces (the producer gets its ack), checks that the broker stored nothing and
that the proxy reported the fault, removes the rule, produces again and checks the record arrives.
"""
import json
import os
import time
import urllib.request
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

CONTROL = os.environ.get("FAULTBOX_PROXY_URL", "http://127.0.0.1:8475")


def call(method, path, body=None):
    """One control call; raises with the API's message on an error status."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(CONTROL + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.load(res)
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{method} {path} -> {e.code}: {e.read().decode()}") from None


@pytest.fixture
def bootstrap():
    # Clients connect to the proxy, which the control API names.
    return call("GET", "/proxies/kafka")["listen"]


@pytest.fixture
def topic(bootstrap):
    name = f"orders-py-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])[name].result(30)
    return name


def produce(bootstrap, topic, value):
    delivered = []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    producer.produce(topic, value=value, on_delivery=lambda err, msg: delivered.append(err))
    assert producer.flush(30) == 0, "the producer delivered within 30 s"
    assert delivered == [None], f"the producer got a success ack: {delivered}"


def faults_of(rule_id):
    """The fault events of a rule, waiting up to 10 s for the first (the proxy reports it as it drops)."""
    deadline = time.monotonic() + 10
    while True:
        events = call("GET", f"/events?type=fault&rule={rule_id}")["events"]
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def read_all(bootstrap, topic):
    """Every value of partition 0, from the beginning up to its end offset."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{uuid.uuid4().hex}", "enable.auto.commit": False})
    try:
        _, end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)
        consumer.assign([TopicPartition(topic, 0, 0)])
        values = []
        while len(values) < end:
            msg = consumer.poll(30)
            assert msg is not None, f"read {len(values)} of {end} records within 30 s"
            assert msg.error() is None, msg.error()
            values.append(msg.value().decode())
        return values
    finally:
        consumer.close()


def test_drop_loses_the_record_and_removing_it_lets_records_through(bootstrap, topic):
    rule = call("POST", "/proxies/kafka/rules", {"action": "drop", "topic": topic})

    produce(bootstrap, topic, b"lost")
    faults = faults_of(rule["id"])
    assert [(f["action"], f["topic"]) for f in faults] == [("drop", topic)]
    assert call("GET", f"/proxies/kafka/rules/{rule['id']}")["fired"] == 1
    assert read_all(bootstrap, topic) == [], "the broker stored nothing while the drop rule was active"

    removed = call("DELETE", f"/proxies/kafka/rules/{rule['id']}")
    assert removed["active"] is False and removed["fired"] == 1
    produce(bootstrap, topic, b"kept")
    assert read_all(bootstrap, topic) == ["kept"]


def test_a_mistake_is_a_400_naming_the_field(bootstrap):
    with pytest.raises(AssertionError, match=r'(?s)-> 400: .*"field": "topik"'):
        call("POST", "/proxies/kafka/rules", {"action": "drop", "topik": "orders"})
