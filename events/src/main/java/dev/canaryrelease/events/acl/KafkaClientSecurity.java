package dev.canaryrelease.events.acl;

import java.util.Map;
import java.util.TreeMap;

/**
 * The security settings ({@code security.protocol}, {@code ssl.*}, {@code sasl.*}) out of a
 * service's Kafka client settings (the {@code default-kafka-broker} map, i.e. its {@code kafka.*}
 * configuration), for a plain Kafka client the service makes itself: it then reaches the broker as
 * the service's principal, like its channels.
 */
public final class KafkaClientSecurity {
    private KafkaClientSecurity() {}

    public static Map<String, Object> of(Map<String, Object> kafka) {
        Map<String, Object> out = new TreeMap<>();
        kafka.forEach(
                (k, v) -> {
                    if (k.equals("security.protocol")
                            || k.startsWith("ssl.")
                            || k.startsWith("sasl.")) {
                        out.put(k, v);
                    }
                });
        return out;
    }
}
