package dev.canaryrelease.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.CommonClientConfigs;

/**
 * The client settings of a principal for a broker the tests know: the test broker of {@link
 * KafkaTestResource}, or {@code dev/up}'s (its certificates in {@code .canary/tls/kafka}, or the
 * folder named by {@code -Dcanary.kafka.tls-dir} or env {@code CANARY_KAFKA_TLS_DIR}).
 */
public final class KafkaClients {
    private static final Map<String, KafkaTls> BROKERS = new ConcurrentHashMap<>();

    private KafkaClients() {}

    static void register(String bootstrap, KafkaTls tls) {
        BROKERS.put(bootstrap, tls);
    }

    /** The certificates of the broker at {@code bootstrap}. */
    public static KafkaTls tls(String bootstrap) {
        KafkaTls known = BROKERS.get(bootstrap);
        if (known != null) return known;
        return BROKERS.computeIfAbsent(bootstrap, b -> KafkaTls.create(devTlsDir()));
    }

    /** Bootstrap servers and mutual TLS as {@code principal}. */
    public static Map<String, Object> config(String bootstrap, String principal) {
        Map<String, Object> c = new HashMap<>(tls(bootstrap).client(principal));
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return c;
    }

    private static Path devTlsDir() {
        String set =
                System.getProperty("canary.kafka.tls-dir", System.getenv("CANARY_KAFKA_TLS_DIR"));
        if (set != null && !set.isBlank()) return Path.of(set);
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path tls = d.resolve(".canary/tls/kafka");
            if (Files.isDirectory(tls.resolve("ca"))) return tls;
        }
        throw new IllegalStateException(
                "no Kafka certificates for this broker: no .canary/tls/kafka above "
                        + Path.of("").toAbsolutePath()
                        + " (dev/up makes it) and no -Dcanary.kafka.tls-dir");
    }
}
