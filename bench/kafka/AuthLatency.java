import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.testsupport.KafkaAcls;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.KafkaTls;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;

/**
 * What authentication costs one hop: the same paced stream of records (a producer with the suite's
 * settings, acks=all, idempotent, linger 0; a consumer polling) through one single-node KRaft
 * broker with plaintext, then through one with the suite's mutual TLS and StandardAuthorizer ACLs
 * (the gateway's principal writes gateway.events, the monitor's reads it), alternating, ROUNDS
 * times each. Prints the record timestamp → read latency per mode. Run by bench/kafka/run.
 */
public class AuthLatency {
    record Mode(String name, boolean tls) {}

    public static void main(String[] args) throws Exception {
        int n = Integer.getInteger("records", 500);
        int gapMs = Integer.getInteger("gap.ms", 10);
        int rounds = Integer.getInteger("rounds", 2);
        KafkaTls.cheapInMemoryKeyStores();
        Path dir = Files.createTempDirectory("auth-latency");
        KafkaTls tls = KafkaTls.create(dir.resolve("tls"));
        Map<String, List<Long>> all = new java.util.LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (Mode m : List.of(new Mode("plaintext, no ACLs", false), new Mode("mutual TLS + ACLs", true))) {
                List<Long> lat = run(m, tls, n, gapMs);
                all.computeIfAbsent(m.name(), k -> new ArrayList<>()).addAll(lat);
                System.out.printf("round %d %-20s %s%n", r + 1, m.name(), summary(lat));
            }
        }
        System.out.println();
        System.out.printf("| mode | records | p50 ms | p90 ms | p99 ms | max ms |%n| --- | --- | --- | --- | --- | --- |%n");
        for (var e : all.entrySet()) {
            List<Long> s = sorted(e.getValue());
            System.out.printf("| %s | %d | %d | %d | %d | %d |%n", e.getKey(), s.size(), pct(s, 50), pct(s, 90), pct(s, 99), s.get(s.size() - 1));
        }
    }

    static List<Long> run(Mode m, KafkaTls tls, int n, int gapMs) throws Exception {
        try (EmbeddedKafkaBroker broker =
                new EmbeddedKafkaBroker()
                        .withAdditionalProperties(
                                p -> {
                                    KafkaTestResource.singleNodeDefaults(p);
                                    if (m.tls()) tls.secureBroker(p);
                                })
                        .start()) {
            String bootstrap = broker.getAdvertisedListeners().replaceAll("^[A-Z]+://", "");
            Map<String, Object> admin = client(m, tls, bootstrap, KafkaPrincipals.BROKER);
            if (m.tls()) KafkaAcls.apply(bootstrap, tls, Duration.ofSeconds(60));
            try (Admin a = Admin.create(admin)) {
                a.createTopics(List.of(new NewTopic(Topics.GATEWAY, 1, (short) 1))).all().get();
            }
            Map<String, Object> pc = client(m, tls, bootstrap, "gateway");
            pc.put("acks", "all");
            pc.put("enable.idempotence", "true");
            pc.put("linger.ms", "0");
            pc.put("key.serializer", StringSerializer.class.getName());
            pc.put("value.serializer", StringSerializer.class.getName());
            Map<String, Object> cc = client(m, tls, bootstrap, KafkaPrincipals.MONITOR);
            cc.put("group.id", "monitor-auth-latency-" + UUID.randomUUID());
            cc.put("auto.offset.reset", "earliest");
            cc.put("enable.auto.commit", "false");
            cc.put("key.deserializer", StringDeserializer.class.getName());
            cc.put("value.deserializer", StringDeserializer.class.getName());
            List<Long> lat = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cc);
                    KafkaProducer<String, String> producer = new KafkaProducer<>(pc)) {
                consumer.subscribe(List.of(Topics.GATEWAY));
                // warm-up: both connected and the consumer assigned before anything is measured
                producer.send(new ProducerRecord<>(Topics.GATEWAY, "warm", "warm")).get();
                int warm = 0;
                while (warm == 0) warm = consumer.poll(Duration.ofMillis(100)).count();
                Thread sender =
                        new Thread(
                                () -> {
                                    try {
                                        for (int i = 0; i < n; i++) {
                                            producer.send(new ProducerRecord<>(Topics.GATEWAY, "k", "v" + i));
                                            Thread.sleep(gapMs);
                                        }
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                },
                                "auth-latency-sender");
                sender.start();
                long end = System.currentTimeMillis() + (long) n * gapMs + 30_000;
                while (lat.size() < n && System.currentTimeMillis() < end) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                        lat.add(System.currentTimeMillis() - r.timestamp());
                    }
                }
                sender.join();
            }
            if (lat.size() < n) throw new IllegalStateException(m.name() + ": read " + lat.size() + " of " + n);
            return lat;
        }
    }

    static Map<String, Object> client(Mode m, KafkaTls tls, String bootstrap, String principal) {
        Map<String, Object> c = m.tls() ? new HashMap<>(tls.client(principal)) : new HashMap<>();
        c.put("bootstrap.servers", bootstrap);
        return c;
    }

    static List<Long> sorted(List<Long> v) {
        List<Long> s = new ArrayList<>(v);
        Collections.sort(s);
        return s;
    }

    static long pct(List<Long> s, int p) {
        int rank = (int) Math.ceil(s.size() * p / 100.0) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, rank)));
    }

    static String summary(List<Long> v) {
        List<Long> s = sorted(v);
        return "p50 " + pct(s, 50) + " ms, p90 " + pct(s, 90) + " ms, p99 " + pct(s, 99) + " ms";
    }
}
