// A Java producer service that reports every send as one JSON line on stdout for the history checker
// (docs/history.md): {"history":"send", topic, key, value, ok, partition, offset, error, definite, seq,
// producer}. Run in source-file mode with the kafka-clients classpath:
//   java -cp <kafka classpath> HistoryProducer.java
// Configured by its environment:
//   KAFKA_BROKERS, TOPIC, PRODUCER (name; keys are "<producer>-<n>"), COUNT (0: until stopped),
//   INTERVAL_MS (between sends, default 20), PRODUCER_PROPS ("acks=1;enable.idempotence=false;...",
//   any producer config), SYNC ("true": wait for each ack before the next send; default: asynchronous,
//   the callbacks print in acknowledgement order and "seq" keeps the send order), CONTROL_PORT (when set:
//   wait for GET /start on it before sending; GET /status answers {"sent":n,"done":bool}).
// After COUNT sends (and their callbacks) it prints {"done":true} and stays up until it is stopped.
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;

public class HistoryProducer {
  static String env(String name, String dflt) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? dflt : v;
  }

  static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** Failures that happen before a record reaches a broker, so it surely was not written. */
  static boolean definite(Exception e) {
    return e instanceof RecordTooLargeException
        || e instanceof RecordBatchTooLargeException
        || e instanceof SerializationException
        || e instanceof InvalidTopicException
        || e instanceof TopicAuthorizationException;
  }

  public static void main(String[] args) throws Exception {
    String topic = env("TOPIC", "history");
    String name = env("PRODUCER", "java-producer");
    int count = Integer.parseInt(env("COUNT", "0"));
    long interval = Long.parseLong(env("INTERVAL_MS", "20"));
    boolean sync = env("SYNC", "false").equals("true");
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env("KAFKA_BROKERS", "127.0.0.1:9092"));
    props.put(ProducerConfig.CLIENT_ID_CONFIG, name);
    props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    for (String kv : env("PRODUCER_PROPS", "").split(";")) {
      int i = kv.indexOf('=');
      if (i > 0) props.put(kv.substring(0, i).trim(), kv.substring(i + 1).trim());
    }
    String acks = props.getProperty(ProducerConfig.ACKS_CONFIG, "all");
    AtomicInteger pending = new AtomicInteger();
    AtomicInteger sent = new AtomicInteger();
    boolean[] done = {false};
    CountDownLatch start = new CountDownLatch(1);
    String control = env("CONTROL_PORT", "");
    if (control.isEmpty()) start.countDown();
    else {
      HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(control)), 0);
      http.createContext("/", ex -> {
        if (ex.getRequestURI().getPath().equals("/start")) start.countDown();
        byte[] body = ("{\"sent\":" + sent.get() + ",\"done\":" + done[0] + "}").getBytes();
        ex.getResponseHeaders().add("content-type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
        ex.close();
      });
      http.start();
    }
    KafkaProducer<String, String> producer = new KafkaProducer<>(props);
    Runtime.getRuntime().addShutdownHook(new Thread(producer::close));
    start.await();
    for (int n = 1; count == 0 || n <= count; n++) {
      final int seq = n;
      String key = name + "-" + n;
      String value = "{\"producer\":" + json(name) + ",\"n\":" + n + "}";
      String common = "\"history\":\"send\",\"topic\":" + json(topic) + ",\"key\":" + json(key)
          + ",\"value\":" + json(value) + ",\"seq\":" + seq + ",\"producer\":" + json(name)
          + (acks.equals("0") ? ",\"acks\":0" : "");
      pending.incrementAndGet();
      java.util.concurrent.Future<?> f = producer.send(new ProducerRecord<>(topic, key, value), (meta, e) -> {
        if (e == null) {
          print("{" + common + ",\"ok\":true,\"partition\":" + meta.partition() + ",\"offset\":" + meta.offset() + "}");
        } else {
          print("{" + common + ",\"ok\":false,\"definite\":" + definite(e) + ",\"error\":" + json(e.toString()) + "}");
        }
        pending.decrementAndGet();
      });
      if (sync) {
        try {
          f.get();
        } catch (Exception ignored) {
          // reported by the callback
        }
      }
      sent.set(n);
      if (interval > 0) Thread.sleep(interval);
    }
    producer.flush();
    while (pending.get() > 0) Thread.sleep(20);
    done[0] = true;
    print("{\"done\":true,\"producer\":" + json(name) + "}");
    Thread.sleep(Long.MAX_VALUE);
  }
}
