package dev.canaryrelease.deploy.messaging;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Default;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;

import dev.canaryrelease.deploy.config.DeployConfig;
import dev.canaryrelease.deploy.domain.Ownership;
import dev.canaryrelease.deploy.domain.Release;
import dev.canaryrelease.deploy.domain.ReplayFold;
import dev.canaryrelease.deploy.domain.Rollouts;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.snapshot.SnapshotTopic;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.events.topics.TopicsAtStart;
import dev.canaryrelease.events.topics.TopicsConfig;
import dev.canaryrelease.fleet.Fleet;

/**
 * deploy-service's state that outlives the event topics' retention: a snapshot of every release in
 * the compacted topic {@link Topics#DEPLOY_RELEASES}, which it alone writes.
 *
 * <ul>
 *   <li>The snapshot is the replay's own fold ({@link ReplayFold}), kept running: every {@code
 *       canary.deploy.snapshot-interval} the replay topics are read on from where it stopped and
 *       folded as the start-up replay folds them (never the live state, which runs ahead of its
 *       events), then the releases that changed ({@code release:<id>}) and the {@code state}
 *       (positions, and what was decided but not yet done) are written in one Kafka transaction: a
 *       reader sees all of a snapshot or nothing of it.
 *   <li>At start the topic is read whole on a thread of its own, begun before the topics are
 *       checked so that its read overlaps the topic check; once the topics are checked, the replay
 *       topics are read from the snapshot's positions to their end and folded on, before the
 *       channels start (so no consumer of {@code deploy-in} sits in its group, not polling, while a
 *       long first start folds), and {@code deploy-in} is sought to that end when first assigned
 *       (this class is its rebalance listener): nothing before it is delivered again. The engine
 *       then takes a copy of the fold and carries out what was decided but never done, exactly as
 *       after a replay of the whole history.
 *   <li>No snapshot (the first start, or the first after an upgrade): the fold starts from the
 *       topics' beginning, as the replay always did, and is written at the first interval.
 * </ul>
 */
@ApplicationScoped
@Default
@Identifier(DeploySnapshots.NAME)
public class DeploySnapshots implements KafkaConsumerRebalanceListener {
    /** The name in {@code mp.messaging.incoming.deploy-in.consumer-rebalance-listener.name}. */
    public static final String NAME = "deploy-in-resume";

    /** Runs after the topics are checked ({@link TopicsAtStart#PRIORITY}), before the channels. */
    public static final int PRIORITY = TopicsAtStart.PRIORITY + 50;

    /** The snapshot's read begins before the topics are checked. */
    public static final int BEGIN_PRIORITY = TopicsAtStart.PRIORITY - 100;

    static final String WHAT = "deploy-service's snapshot (" + Topics.DEPLOY_RELEASES + ")";
    static final String RELEASE_KEY = "release:";
    static final String STATE_KEY = "state";

    private static final Logger LOG = Logger.getLogger(DeploySnapshots.class);

    private final Map<String, Object> kafka;
    private final TopicsConfig topics;
    private final HistoryReader history;
    private final Function<List<Release>, Rollouts> restore;
    private final String source;
    private final Map<String, Long> resumeAt = new ConcurrentHashMap<>();
    private ReplayFold fold;
    private CompletableFuture<ReplayFold> loading;
    private final CompletableFuture<Void> topicsChecked = new CompletableFuture<>();
    private SnapshotTopic writer;

    /** True while this instance has partition 0 of deploy-in: it writes the snapshot. */
    private volatile boolean owner;

    private Map<String, Long> written = Map.of();
    private volatile boolean scheduled;
    private volatile long loadMillis = -1;
    private volatile long snapshotReleases;

    /** The engine that acts on assignments (none: a test's earlier run, which only folds). */
    private final jakarta.enterprise.inject.Instance<DeployEngine> engines;

    /** How long a revocation waits for the running swaps and their events. */
    private final java.time.Duration revokeGrace;

    @Inject
    public DeploySnapshots(
            @Identifier("default-kafka-broker") Map<String, Object> kafka,
            TopicsConfig topics,
            DeployConfig config,
            HistoryReader history,
            Fleet fleet,
            @ConfigProperty(name = "canary.service.name") String service,
            jakarta.enterprise.inject.Instance<DeployEngine> engines) {
        // the engine is looked up only on an assignment: it is made once the channels run (its
        // emitter), after this has read
        this(
                kafka,
                topics,
                history,
                DeployEngine.restorer(fleet, config),
                EventEnvelope.sourceOf(service),
                engines,
                config.revokeGrace());
    }

    /**
     * @param restore makes the releases of a snapshot (in first-seen order) under the service's
     *     policy
     * @param source the service's CloudEvent source (its own events in history)
     */
    public DeploySnapshots(
            Map<String, Object> kafka,
            TopicsConfig topics,
            HistoryReader history,
            Function<List<Release>, Rollouts> restore,
            String source) {
        this(kafka, topics, history, restore, source, null, java.time.Duration.ZERO);
    }

    private DeploySnapshots(
            Map<String, Object> kafka,
            TopicsConfig topics,
            HistoryReader history,
            Function<List<Release>, Rollouts> restore,
            String source,
            jakarta.enterprise.inject.Instance<DeployEngine> engines,
            java.time.Duration revokeGrace) {
        this.kafka = kafka;
        this.topics = topics;
        this.history = history;
        this.restore = restore;
        this.source = source;
        this.engines = engines;
        this.revokeGrace = revokeGrace;
    }

    /**
     * Starts reading the snapshot on a thread of its own before the topics are checked: its read
     * and parse overlap the topic check and the channels' start (issue 14 point 2: a restart's
     * time). The replay topics are read on from its positions only once the topics are checked.
     */
    void onBoot(@Observes @Priority(BEGIN_PRIORITY) StartupEvent event) {
        begin();
    }

    void onStart(@Observes @Priority(PRIORITY) StartupEvent event) {
        // the topics are checked (TopicsAtStart ran): the fold may read the replay topics on
        topicsChecked.complete(null);
        // ...and the channels start (priority 1000) only once it is done. Waited for here, not
        // in deploy-in's rebalance listener: that runs inside the channel's poll(), and a first
        // start's replay longer than max.poll.interval.ms (5 min) made the consumer leave its
        // group; the assignment after the rejoin had no seek left, so the whole history was
        // delivered again from the committed offsets (none on a first start: the beginning).
        fold();
    }

    void onStop(@Observes ShutdownEvent event) {
        if (scheduled) {
            scheduled = false; // no scheduled flush after the last one
            flushQuietly();
        }
        close();
    }

    /**
     * Checks the topic, reads the snapshot and folds the replay topics on to their end: what the
     * engine starts from ({@link #fold()}). Blocks until done.
     */
    public void open() {
        begin();
        topicsChecked.complete(null);
        fold();
    }

    /** Begins {@link #open}'s work on a thread of its own (once). */
    public synchronized void begin() {
        if (loading != null) return;
        loading = new CompletableFuture<>();
        Thread t =
                new Thread(
                        () -> {
                            try {
                                loading.complete(openNow());
                            } catch (Throwable e) {
                                loading.completeExceptionally(e);
                            }
                        },
                        "deploy-snapshot-load");
        t.setDaemon(true);
        t.start();
    }

    private ReplayFold openNow() throws InterruptedException, ExecutionException {
        long t0 = System.nanoTime();
        if (topics.checkAtStart()) {
            new TopicGuard(kafka, new TopicCatalogue(topics), topics.startTimeout())
                    .ensure(List.of(Topics.DEPLOY_RELEASES));
        }
        ReplayFold loadedFold = load();
        long loaded = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        topicsChecked.get();
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) - loaded;
        Map<String, Long> from = Map.copyOf(loadedFold.next());
        catchUp(loadedFold);
        resumeAt.putAll(loadedFold.next());
        loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        LOG.infof(
                "snapshot read from %s in %d ms: %d releases, %s; replayed on to the end in %d ms"
                        + " (%d ms waiting for the topic check; %d commands decided, %d not yet"
                        + " done)",
                Topics.DEPLOY_RELEASES,
                loaded,
                snapshotReleases,
                from.isEmpty()
                        ? "no positions (the event topics are replayed from the beginning)"
                        : "positions " + from,
                loadMillis - loaded - waited,
                waited,
                loadedFold.decided(),
                loadedFold.outstanding().size());
        synchronized (this) {
            fold = loadedFold;
        }
        return loadedFold;
    }

    /**
     * The fold at the end of the start-up replay (the engine copies it); waits for {@link #open}'s
     * work, and throws what made it fail.
     */
    public ReplayFold fold() {
        CompletableFuture<ReplayFold> f;
        synchronized (this) {
            f = loading;
        }
        if (f == null) throw new IllegalStateException("the snapshot is not open");
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the snapshot was read", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(
                    "cannot read " + WHAT + ": " + e.getCause(), e.getCause());
        }
    }

    /** Starts writing the snapshot every {@code canary.deploy.snapshot-interval}. */
    public void schedule() {
        scheduled = true;
    }

    /** Every {@code canary.deploy.snapshot-interval}, once {@link #schedule}d. */
    @Scheduled(
            identity = "deploy-snapshots",
            every = "${canary.deploy.snapshot-interval}",
            delayed = "${canary.deploy.snapshot-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void flushEveryInterval() {
        if (scheduled) {
            flushQuietly();
        }
    }

    private ReplayFold load() {
        Map<String, StoredState.StoredRelease> releases = new HashMap<>();
        StoredState.State[] state = {null};
        SnapshotTopic.readAll(
                kafka,
                Topics.DEPLOY_RELEASES,
                "deploy-snapshot-load",
                (k, v) -> {
                    if (k.startsWith(RELEASE_KEY)) {
                        String id = k.substring(RELEASE_KEY.length());
                        if (v == null) {
                            releases.remove(id);
                        } else {
                            releases.put(
                                    id,
                                    SnapshotTopic.read(v, StoredState.StoredRelease.class, WHAT));
                        }
                    } else if (k.equals(STATE_KEY) && v != null) {
                        state[0] = SnapshotTopic.read(v, StoredState.State.class, WHAT);
                    }
                });
        if (state[0] == null) {
            // a snapshot is written in one transaction, releases with their state: without a
            // state there are no releases either
            snapshotReleases = 0;
            return new ReplayFold(restore.apply(List.of()), source, List.of(), Map.of());
        }
        List<Release> inOrder =
                releases.values().stream()
                        .sorted(Comparator.comparingLong(StoredState.StoredRelease::seq))
                        .map(StoredState.StoredRelease::release)
                        .toList();
        snapshotReleases = inOrder.size();
        List<ReplayFold.Pending> outstanding = new ArrayList<>();
        for (StoredState.StoredPending p : state[0].outstanding()) outstanding.add(p.pending());
        written = Map.copyOf(state[0].next());
        return new ReplayFold(restore.apply(inOrder), source, outstanding, state[0].next());
    }

    /** Reads the replay topics on from the fold's positions to their end and folds them. */
    private void catchUp(ReplayFold f) {
        HistoryReader.Chunk chunk = history.read(f.next());
        for (EventEnvelope<CanaryEvent> e : chunk.events()) f.apply(e);
        chunk.next().forEach(f::passed);
        f.settle();
    }

    /**
     * On the channel's polling thread, at every assignment of {@code deploy-in}'s partitions (issue
     * 19): the fold reads the history on to its end (the instance that had a partition before has
     * stopped: Kafka gives it to no one until its owner let it go, or until its session timed out),
     * the engine takes over the apps of its new partitions from the fold, and each partition is
     * sought to where the fold ended, so nothing folded is delivered again and nothing after it is
     * skipped. The first assignment after a start takes the start-up replay's end (done before the
     * channels started: this does not wait for it).
     */
    @Override
    public void onPartitionsAssigned(
            Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        ReplayFold f = fold(); // the start-up replay's (already done)
        DeployEngine engine = engine();
        if (engine == null) {
            for (TopicPartition tp : partitions) {
                Long at = resumeAt.remove(HistoryReader.name(tp));
                if (at != null) consumer.seek(tp, at);
            }
            return;
        }
        engine.awaitReady();
        Map<String, Long> at;
        synchronized (this) {
            catchUp(f);
            Ownership next = ownership(consumer, partitions);
            engine.assigned(next, f);
            at = Map.copyOf(f.next());
            owner = next.owned().contains(0);
        }
        resumeAt.clear();
        for (TopicPartition tp : partitions) {
            Long to = at.get(HistoryReader.name(tp));
            if (to != null) consumer.seek(tp, to);
        }
    }

    /**
     * A rebalance takes the partitions away: the engine stops acting and waits for its running
     * swaps and their events (Kafka gives the partitions to no one before this returns).
     */
    @Override
    public void onPartitionsRevoked(
            Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        DeployEngine engine = engine();
        if (engine != null && !partitions.isEmpty()) engine.revoked(revokeGrace);
    }

    /** Expelled from the group: the partitions are another's already; stop at once. */
    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        DeployEngine engine = engine();
        if (engine != null) engine.lost();
    }

    private DeployEngine engine() {
        return engines == null || !engines.isResolvable() ? null : engines.get();
    }

    /**
     * The partition numbers {@code partitions} hold on every topic of the assignment, among the
     * topics' partition count: the range assignor gives partition {@code p} of each topic to the
     * same member when the counts are equal (a topic with another count is named in a WARN line:
     * its apps' events would go to other instances).
     */
    static Ownership ownership(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        Map<String, java.util.Set<Integer>> byTopic = new java.util.TreeMap<>();
        for (TopicPartition tp : partitions) {
            byTopic.computeIfAbsent(tp.topic(), t -> new java.util.TreeSet<>()).add(tp.partition());
        }
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (String t : consumer.subscription()) {
            counts.put(t, consumer.partitionsFor(t).size());
        }
        if (counts.isEmpty()) return Ownership.NONE;
        if (new java.util.HashSet<>(counts.values()).size() > 1) {
            LOG.warnf(
                    "the topics of deploy-in have different partition counts %s: an app's events"
                            + " are not on one partition number, so two instances would split an"
                            + " app's rollout",
                    counts);
        }
        int n = java.util.Collections.min(counts.values());
        java.util.Set<Integer> owned = new java.util.TreeSet<>();
        for (int p = 0; p < n; p++) {
            final int q = p;
            if (counts.keySet().stream()
                    .allMatch(t -> byTopic.getOrDefault(t, java.util.Set.of()).contains(q))) {
                owned.add(p);
            }
        }
        return new Ownership(n, owned);
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warnf("cannot write the deploy snapshot now (retried): %s", e.toString());
        }
    }

    /**
     * Folds the history written since the last snapshot and writes what changed, with the new
     * positions, in one transaction.
     */
    public synchronized void flush() {
        catchUp(fold);
        if (engines != null && !owner) {
            // written by the instance given partition 0 alone: every instance folds the whole
            // history, so one snapshot serves them all, and the shared transactional id fences a
            // former owner that still writes
            return;
        }
        Rollouts rollouts = fold.rollouts();
        Set<String> changed = rollouts.takeChanged();
        Map<String, Long> next = Map.copyOf(fold.next());
        List<ReplayFold.Pending> outstanding = List.copyOf(fold.outstanding());
        if (changed.isEmpty() && next.equals(written)) {
            return; // nothing folded since the last snapshot
        }
        try {
            if (writer == null) {
                writer =
                        new SnapshotTopic(
                                kafka,
                                "deploy-snapshots",
                                KafkaPrincipals.DEPLOY_SNAPSHOTS_TRANSACTION);
            }
            SnapshotTopic w = writer;
            w.inTransaction(
                    () -> {
                        long seq = 0;
                        for (Release r : rollouts.releases()) {
                            if (changed.contains(r.id())) {
                                w.send(
                                        Topics.DEPLOY_RELEASES,
                                        RELEASE_KEY + r.id(),
                                        new StoredState.StoredRelease(seq, r));
                            }
                            seq++;
                        }
                        w.send(
                                Topics.DEPLOY_RELEASES,
                                STATE_KEY,
                                new StoredState.State(
                                        next,
                                        outstanding.stream()
                                                .map(StoredState.StoredPending::of)
                                                .toList()));
                    });
            written = next;
            if (!changed.isEmpty()) {
                LOG.debugf("deploy snapshot: %d releases written", changed.size());
            }
        } catch (RuntimeException e) {
            rollouts.unwritten(changed);
            if (writer != null) {
                // a failed transaction may leave the producer unusable: the next write makes
                // a new one (which also fences this one)
                writer.close();
                writer = null;
            }
            throw e;
        }
    }

    /** How long the start took to read the snapshot and fold on to the end, ms (-1 before). */
    public long loadMillis() {
        return loadMillis;
    }

    /** Closes the writer (nothing flushed). */
    public synchronized void close() {
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }
}
