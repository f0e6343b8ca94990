package dev.canaryrelease.builder;

import java.util.function.Supplier;

import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Creates Kafka clients with Kafka's own class loader as context loader: after Quarkus restarts for
 * another test class, the context loader is the new application's and Kafka's reflective loading
 * (e.g. of JmxReporter) would otherwise mix loaders.
 */
final class Kafka {
    private Kafka() {}

    static <T> T withKafkaLoader(Supplier<T> create) {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(KafkaProducer.class.getClassLoader());
        try {
            return create.get();
        } finally {
            t.setContextClassLoader(before);
        }
    }
}
