package dev.canaryrelease.gateway.messaging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;

import dev.canaryrelease.events.ReplayWatch;
import dev.canaryrelease.events.acl.KafkaClientSecurity;
import dev.canaryrelease.gateway.config.GatewayConfig;
import dev.canaryrelease.gateway.domain.ReplayProgress;
import dev.canaryrelease.gateway.domain.StreamCursor;

/**
 * Reads the end offsets of every {@code *.events} partition once at start, so the REST API can say
 * 503 until the read model has replayed everything that was there.
 */
@ApplicationScoped
public class ReplayTracker {
    private static final Logger LOG = Logger.getLogger(ReplayTracker.class);

    private final ReplayProgress progress = new ReplayProgress();
    private final String bootstrap;
    private final Map<String, Object> security;
    private final List<String> topics;
    private final long startedAt = System.nanoTime();
    private final CompletableFuture<Void> readyFuture = new CompletableFuture<>();
    private volatile boolean logged;
    private volatile ReplayWatch watch;
    private boolean warned;

    private final ReleaseSnapshots snapshots;
    private final Duration stallTimeout;
    private final ManagedExecutor executor;

    /** How often a long replay says how far it is. */
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    public ReplayTracker(
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap,
            @ConfigProperty(name = "mp.messaging.incoming.gateway-in.topics") String topics,
            @Identifier("default-kafka-broker") Map<String, Object> kafka,
            ReleaseSnapshots snapshots,
            GatewayConfig config,
            ManagedExecutor executor) {
        this.executor = executor;
        this.stallTimeout = config.replayStallTimeout();
        this.bootstrap = bootstrap;
        this.security = KafkaClientSecurity.of(kafka);
        this.snapshots = snapshots;
        this.topics = Arrays.stream(topics.split(",")).map(String::trim).toList();
    }

    void onStart(@Observes StartupEvent event) {
        executor.runAsync(this::readEndOffsets);
    }

    private void readEndOffsets() {
        Duration backoff = Duration.ofMillis(200);
        while (true) {
            Map<String, Object> c = new java.util.HashMap<>(security);
            c.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            c.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000);
            c.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000);
            try (Admin admin = Admin.create(c)) {
                Set<String> existing = admin.listTopics().names().get(20, TimeUnit.SECONDS);
                List<String> present = topics.stream().filter(existing::contains).toList();
                Map<String, TopicDescription> described =
                        present.isEmpty()
                                ? Map.of()
                                : admin.describeTopics(present)
                                        .allTopicNames()
                                        .get(20, TimeUnit.SECONDS);
                Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
                Map<TopicPartition, OffsetSpec> askStart = new HashMap<>();
                described.forEach(
                        (name, d) ->
                                d.partitions()
                                        .forEach(
                                                p -> {
                                                    TopicPartition tp =
                                                            new TopicPartition(name, p.partition());
                                                    ask.put(tp, OffsetSpec.latest());
                                                    askStart.put(tp, OffsetSpec.earliest());
                                                }));
                Map<String, Long> ends = new HashMap<>();
                Map<String, Long> starts = new HashMap<>();
                if (!ask.isEmpty()) {
                    admin.listOffsets(ask)
                            .all()
                            .get(20, TimeUnit.SECONDS)
                            .forEach(
                                    (tp, info) ->
                                            ends.put(
                                                    StreamCursor.key(tp.topic(), tp.partition()),
                                                    info.offset()));
                    admin.listOffsets(askStart)
                            .all()
                            .get(20, TimeUnit.SECONDS)
                            .forEach(
                                    (tp, info) ->
                                            starts.put(
                                                    StreamCursor.key(tp.topic(), tp.partition()),
                                                    info.offset()));
                }
                // the replay starts at the checkpoint of the snapshot (once its index is read),
                // or at the first record retention left: what is before it counts as read
                try {
                    snapshots.loaded().join();
                } catch (java.util.concurrent.CompletionException failed) {
                    return; // the process is ending (ReleaseSnapshots)
                }
                Map<String, Long> resume = snapshots.checkpoint();
                starts.forEach(
                        (k, first) -> {
                            long from = Math.max(first, resume.getOrDefault(k, 0L));
                            if (from > 0) {
                                int i = k.lastIndexOf(':');
                                progress.read(
                                        k.substring(0, i),
                                        Integer.parseInt(k.substring(i + 1)),
                                        from - 1);
                            }
                        });
                LOG.infof("replaying the read model from %s up to %s", resume, ends);
                progress.targets(ends);
                logReadyOnce();
                if (!progress.ready()) {
                    watch();
                }
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.warnf("cannot read end offsets from %s yet: %s", bootstrap, e.toString());
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff =
                        backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0
                                ? Duration.ofSeconds(5)
                                : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * Until the read model has caught up: every 5 s a line says how far it is; one that reads
     * nothing for {@code canary.gateway.replay-stall-timeout} says so in a WARN line.
     */
    private void watch() {
        watch = new ReplayWatch(stallTimeout, PROGRESS_EVERY, System.nanoTime());
    }

    /** Every second while the start-up replay runs (see {@link #watch}). */
    @Scheduled(
            identity = "gateway-replay-watch",
            every = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void watchTick() {
        ReplayWatch w = watch;
        if (w == null) {
            return;
        }
        if (progress.ready()) {
            watch = null;
            return;
        }
        long now = System.nanoTime();
        w.progress(progress.position(), now);
        if (w.stalled(now)) {
            if (!warned) {
                warned = true;
                LOG.warnf(
                        "the start-up replay of the read model read nothing for %d s"
                                + " (canary.gateway.replay-stall-timeout=%s), behind: %s; the API"
                                + " answers 503 until it catches up",
                        w.idleSeconds(now), stallTimeout, progress.lag());
            }
        } else {
            warned = false;
            if (w.logDue(now)) {
                LOG.infof(
                        "replaying the read model for %d s, behind: %s",
                        w.elapsedSeconds(now), new java.util.TreeMap<>(progress.lag()));
            }
        }
    }

    /** A record was read (call after it was applied). */
    public void read(String topic, int partition, long offset) {
        if (!progress.ready()) {
            progress.read(topic, partition, offset);
            logReadyOnce();
        }
    }

    private void logReadyOnce() {
        if (progress.ready() && !logged) {
            logged = true;
            readyFuture.complete(null);
            LOG.infof(
                    "read model caught up in %d ms",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt));
        }
    }

    public boolean ready() {
        return progress.ready();
    }

    /** Completes when the replay has caught up. */
    public CompletionStage<Void> whenReady() {
        return readyFuture.copy();
    }

    public Map<String, String> lag() {
        return progress.lag();
    }

    List<String> topics() {
        return new ArrayList<>(topics);
    }
}
