package dev.canaryrelease.common.messaging;

import java.time.Duration;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;

/**
 * Opens each outgoing channel's connection to the broker when the service starts, instead of at its
 * first event. A Kafka producer connects, completes the TLS handshake and fetches its topic's
 * metadata only when it first sends, inside that send: the first event after a start (often the
 * first event of the next release) waited for all of it, half a second and more on this machine.
 * Asking each producer for its topic's partitions at start does that work ahead of time. It never
 * blocks the start, and a broker that is down is only logged: the channel and its sender retry as
 * they always do.
 */
@ApplicationScoped
public class ProducerWarmup {
    private static final Logger LOG = Logger.getLogger(ProducerWarmup.class);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final KafkaClientService kafka;
    private final Config config;

    public ProducerWarmup(KafkaClientService kafka, Config config) {
        this.kafka = kafka;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        Set<String> channels = kafka.getProducerChannels();
        for (String channel : channels) {
            String topic =
                    config.getOptionalValue(
                                    "mp.messaging.outgoing." + channel + ".topic", String.class)
                            .orElse(channel);
            long start = System.nanoTime();
            kafka.getProducer(channel)
                    .partitionsFor(topic)
                    .ifNoItem()
                    .after(WAIT)
                    .fail()
                    .subscribe()
                    .with(
                            parts ->
                                    LOG.infof(
                                            "channel '%s' connected: %s has %d partition(s), in %d"
                                                    + " ms",
                                            channel,
                                            topic,
                                            parts.size(),
                                            (System.nanoTime() - start) / 1_000_000),
                            failure ->
                                    LOG.infof(
                                            "channel '%s' not connected yet to %s (%s): its first"
                                                    + " event will connect it",
                                            channel, topic, failure.toString()));
        }
    }
}
