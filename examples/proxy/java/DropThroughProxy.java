// A plain Java program (kafka-clients from Maven Central, java.net.http from the JDK) that drives
// `faultbox proxy` over its HTTP control API:
//   faultbox proxy --kafka kafka=127.0.0.1:9092
//   javac -cp kafka-clients.jar:... DropThroughProxy.java && java -cp .:kafka-clients.jar:... DropThroughProxy http://127.0.0.1:8475
// It adds a drop rule, produces (the producer gets its ack), checks that the broker stored nothing and
// that the proxy reported the fault, removes the rule, produces again and checks the record arrives.
// Exits 0 when every check holds, 1 with the reason otherwise.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class DropThroughProxy {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static String control;

  /** One control call; the body is JSON. Fails on any status from 300 up, with the API's message. */
  static String call(String method, String path, String json) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(control + path)).timeout(Duration.ofSeconds(10));
    if (json == null) req.method(method, HttpRequest.BodyPublishers.noBody());
    else req.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
    HttpResponse<String> res = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
    if (res.statusCode() >= 300) throw new IllegalStateException(method + " " + path + " -> " + res.statusCode() + ": " + res.body());
    return res.body();
  }

  /** The value of a top-level "field" in a JSON answer (enough for the fields read here). */
  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"([^\"]*)\"|(-?\\d+))").matcher(json);
    if (!m.find()) throw new IllegalStateException("no \"" + name + "\" in " + json);
    return m.group(2) != null ? m.group(2) : m.group(3);
  }

  /** Whether a JSON answer has "name": "value" (a string) anywhere. */
  static boolean has(String json, String name, String value) {
    return Pattern.compile("\"" + name + "\"\\s*:\\s*\"" + Pattern.quote(value) + "\"").matcher(json).find();
  }

  /** The fault events of a rule, waiting up to 10 s for the first (the proxy reports it as it drops). */
  static String faultsOf(String ruleId) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    for (;;) {
      String page = call("GET", "/events?type=fault&rule=" + ruleId, null);
      if (page.contains("\"seq\"") || System.currentTimeMillis() > deadline) return page;
      Thread.sleep(100);
    }
  }

  static void check(boolean ok, String what) {
    if (!ok) throw new AssertionError(what);
  }

  /** Every value of the topic's partition 0, read from the beginning up to its end offset. */
  static List<String> readAll(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      long deadline = System.currentTimeMillis() + 30_000;
      while (consumer.position(tp) < end && System.currentTimeMillis() < deadline)
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) values.add(r.value());
    }
    return values;
  }

  public static void main(String[] args) throws Exception {
    control = args.length > 0 ? args[0] : System.getenv().getOrDefault("FAULTBOX_PROXY_URL", "http://127.0.0.1:8475");
    String topic = "orders-java-" + UUID.randomUUID().toString().substring(0, 8);
    // Clients connect to the proxy, which the control API names.
    String bootstrap = field(call("GET", "/proxies/kafka", null), "listen");
    Properties common = new Properties();
    common.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(common)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    Properties pp = new Properties();
    pp.putAll(common);
    pp.put("key.serializer", StringSerializer.class.getName());
    pp.put("value.serializer", StringSerializer.class.getName());
    pp.put("acks", "all");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
      String rule = call("POST", "/proxies/kafka/rules", "{\"action\": \"drop\", \"topic\": \"" + topic + "\"}");
      String id = field(rule, "id");

      RecordMetadata acked = producer.send(new ProducerRecord<>(topic, "order-1", "lost")).get();
      System.out.println("produced under drop: acknowledged, offset " + acked.offset());
      String faults = faultsOf(id);
      check(has(faults, "action", "drop") && has(faults, "topic", topic), "the proxy reported the drop: " + faults);
      check(field(call("GET", "/proxies/kafka/rules/" + id, null), "fired").equals("1"), "the rule fired once");
      check(readAll(bootstrap, topic).isEmpty(), "the broker stored nothing while the drop rule was active");

      String removed = call("DELETE", "/proxies/kafka/rules/" + id, null);
      System.out.println("removed rule " + id + ": fired " + field(removed, "fired"));
      producer.send(new ProducerRecord<>(topic, "order-2", "kept")).get();
      List<String> values = readAll(bootstrap, topic);
      check(values.equals(List.of("kept")), "after removing the rule the record arrives, and only it: " + values);
    }
    System.out.println("OK: drop lost the record (ack, nothing stored, fault reported); without the rule it arrived");
  }
}
