// A Java producer driven step by step from its arguments, for the proxy's transaction tests (the console
// producer cannot run transactions). Run in source-file mode with the kafka-clients classpath:
//   java -cp <kafka classpath> TransactionalProducer.java <bootstrap> <topic> <transactional.id|-> step...
// Steps: begin | commit | abort | send:<partition>:<key>:<value> (waits for the ack).
// Prints "ok <step>" per step; on a failure prints "FAILED <step>: <exception>" and exits 1.
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class TransactionalProducer {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    String topic = args[1];
    boolean transactional = !args[2].equals("-");
    if (transactional) props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, args[2]);
    String step = "connect";
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      if (transactional) producer.initTransactions();
      for (int i = 3; i < args.length; i++) {
        step = args[i];
        if (step.equals("begin")) producer.beginTransaction();
        else if (step.equals("commit")) producer.commitTransaction();
        else if (step.equals("abort")) producer.abortTransaction();
        else if (step.startsWith("send:")) {
          String[] p = step.split(":", 4);
          producer.send(new ProducerRecord<>(topic, Integer.parseInt(p[1]), p[2], p[3])).get();
        } else throw new IllegalArgumentException("unknown step " + step);
        System.out.println("ok " + step);
      }
    } catch (Exception e) {
      System.out.println("FAILED " + step + ": " + e);
      System.exit(1);
    }
  }
}
