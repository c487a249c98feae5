// A consumer that processes each record, then commits its offset (at-least-once), run in source-file
// mode by the response-fault tests. One record per poll; commitSync with a bound. When a commit fails,
// it says so, waits for a line on stdin (the test looks at what the broker stored meanwhile), then
// rewinds to the last offset it knows committed and processes from there again, as an at-least-once
// consumer must when it cannot tell whether its commit landed.
//
//   java ProcessThenCommit.java BOOTSTRAP TOPIC GROUP CLIENT_ID COUNT COMMIT_TIMEOUT_MS
//
// Prints "processed OFFSET VALUE", "committed NEXT", "commit-failed NEXT REASON", "rewound OFFSET";
// exits 0 once its commit of offset COUNT has succeeded.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public class ProcessThenCommit {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], group = args[2], clientId = args[3];
    long count = Long.parseLong(args[4]);
    Duration commitTimeout = Duration.ofMillis(Long.parseLong(args[5]));
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", group);
    p.put("client.id", clientId);
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    p.put("max.poll.records", "1");
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    TopicPartition tp = new TopicPartition(topic, 0);
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in));
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      consumer.assign(List.of(tp));
      long committed = 0;
      while (true) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          System.out.println("processed " + r.offset() + " " + r.value());
          long next = r.offset() + 1;
          try {
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(next)), commitTimeout);
          } catch (Exception e) {
            System.out.println("commit-failed " + next + " " + e.toString().replace('\n', ' '));
            System.out.flush();
            stdin.readLine();
            consumer.seek(tp, committed);
            System.out.println("rewound " + committed);
            System.out.flush();
            break;
          }
          committed = next;
          System.out.println("committed " + next);
          System.out.flush();
          if (next >= count) return;
        }
      }
    }
  }
}
