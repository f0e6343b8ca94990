package dev.canaryrelease.lb.messaging;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;

import dev.canaryrelease.events.ReplayWatch;
import dev.canaryrelease.lb.config.LbConfig;
import dev.canaryrelease.lb.domain.ReplayProgress;

/**
 * The start-up replay of the state consumer ({@code lb-state}: {@code lb.events} and {@code
 * deploy.events} from the positions of the snapshot, {@link LbSnapshots}, or from their beginning):
 * the rebalance listener of that channel (so the offsets are read with the channel's own consumer
 * and its settings), which seeks every partition to the snapshot's position and records where it
 * starts and its end offset when it is first assigned. Until the consumer has read up to those
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

    /** How often a long replay says how far it is. */
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final ReplayProgress progress = new ReplayProgress();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final long startedAt = System.nanoTime();
    private final LbSnapshots snapshots;
    private final Duration stallTimeout;
    private volatile ReplayWatch watch;
    private boolean warned;

    public LbReplay(LbSnapshots snapshots, LbConfig config) {
        this.snapshots = snapshots;
        this.stallTimeout = config.replayStallTimeout();
    }

    @Override
    public void onPartitionsAssigned(
            Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (progress.done() || partitions.isEmpty()) {
            return;
        }
        // Runs on the consumer's polling thread, where the consumer may be used.
        Map<String, Long> begin = new HashMap<>();
        Map<String, Long> end = new HashMap<>();
        Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions);
        for (TopicPartition tp : partitions) {
            long b = first.get(tp);
            Optional<Long> at = snapshots.resumeAt(tp.topic(), tp.partition());
            if (at.isPresent()) {
                if (at.get() < b) {
                    LOG.warnf(
                            "replay: %s was deleted up to offset %d, beyond the snapshot's %d:"
                                    + " the events in between are lost to this service",
                            tp, b, at.get());
                }
                b = Math.max(b, at.get());
                consumer.seek(tp, b);
            }
            begin.put(ReplayProgress.key(tp.topic(), tp.partition()), b);
        }
        consumer.endOffsets(partitions)
                .forEach((tp, o) -> end.put(ReplayProgress.key(tp.topic(), tp.partition()), o));
        LOG.infof("replaying the wanted states from %s up to %s", begin, end);
        progress.assigned(begin, end);
        completeIfDone();
        if (!progress.done()) {
            watch();
        }
    }

    /**
     * While the replay runs: every 5 s a line says how far it is; one that reads nothing for {@code
     * canary.lb.replay-stall-timeout} says so in a WARN line (readiness stays DOWN; the consumer
     * goes on trying, and a failed channel ends the process, see {@code ChannelWatchdog}).
     */
    private synchronized void watch() {
        if (watch == null) {
            watch = new ReplayWatch(stallTimeout, PROGRESS_EVERY, System.nanoTime());
        }
    }

    /** Every second while the start-up replay runs (see {@link #watch}). */
    @Scheduled(
            identity = "lb-replay-watch",
            every = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void watchTick() {
        ReplayWatch w = watch;
        if (w == null || progress.done()) {
            return;
        }
        long now = System.nanoTime();
        w.progress(progress.position(), now);
        if (w.stalled(now)) {
            if (!warned) {
                warned = true;
                LOG.warnf(
                        "the start-up replay of the wanted states read nothing for %d s"
                                + " (canary.lb.replay-stall-timeout=%s), behind: %s;"
                                + " reconciliation and host operations wait",
                        w.idleSeconds(now), stallTimeout, progress.lag());
            }
        } else {
            warned = false;
            if (w.logDue(now)) {
                LOG.infof(
                        "replaying the wanted states for %d s, behind: %s",
                        w.elapsedSeconds(now), progress.lag());
            }
        }
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
