package dev.canaryrelease.lb.messaging;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;

import dev.canaryrelease.lb.domain.ReplayProgress;

/**
 * The start-up replay of the state consumer ({@code lb-state}: {@code lb.events} and {@code
 * deploy.events} from their beginning): the rebalance listener of that channel (so the offsets are
 * read with the channel's own consumer and its settings), which records the beginning and end
 * offsets of every partition when they are first assigned. Until the consumer has read up to those
 * ends, the wanted states are history half applied: the reconciler stays idle, the drain and enable
 * handlers wait, and readiness ({@code lb-events-replay}) is DOWN.
 */
@ApplicationScoped
@Default // also injected plainly
@Identifier(LbReplay.NAME)
public class LbReplay implements KafkaConsumerRebalanceListener {
    /**
     * The listener's name in {@code
     * mp.messaging.incoming.lb-state.consumer-rebalance-listener.name}.
     */
    public static final String NAME = "lb-state-replay";

    private static final Logger LOG = Logger.getLogger(LbReplay.class);

    private final ReplayProgress progress = new ReplayProgress();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final long startedAt = System.nanoTime();

    @Override
    public void onPartitionsAssigned(
            Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (progress.done() || partitions.isEmpty()) {
            return;
        }
        // Runs on the consumer's polling thread, where the consumer may be used.
        Map<String, Long> begin = new HashMap<>();
        Map<String, Long> end = new HashMap<>();
        consumer.beginningOffsets(partitions)
                .forEach((tp, o) -> begin.put(ReplayProgress.key(tp.topic(), tp.partition()), o));
        consumer.endOffsets(partitions)
                .forEach((tp, o) -> end.put(ReplayProgress.key(tp.topic(), tp.partition()), o));
        LOG.infof("replaying the wanted states up to %s", end);
        progress.assigned(begin, end);
        completeIfDone();
    }

    /** A record of the state consumer was applied (or skipped). */
    public void read(String topic, int partition, long offset) {
        if (!progress.done()) {
            progress.read(topic, partition, offset);
            completeIfDone();
        }
    }

    private void completeIfDone() {
        if (progress.done() && done.complete(null)) {
            LOG.infof(
                    "wanted states replayed in %d ms: reconciliation and host operations start",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt));
        }
    }

    public boolean done() {
        return progress.done();
    }

    /** Blocks the calling thread until the replay is done. */
    public void await() throws InterruptedException {
        try {
            done.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    public Map<String, String> lag() {
        return progress.lag();
    }
}
