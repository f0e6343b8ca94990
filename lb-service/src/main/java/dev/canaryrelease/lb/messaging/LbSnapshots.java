package dev.canaryrelease.lb.messaging;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;

import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.snapshot.SnapshotTopic;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.events.topics.TopicsAtStart;
import dev.canaryrelease.events.topics.TopicsConfig;
import dev.canaryrelease.lb.config.LbConfig;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.StateFold;
import dev.canaryrelease.lb.domain.WantedStates;

/**
 * lb-service's state that outlives the event topics' retention: what its events say about every
 * server ({@link StateFold}: the wanted admin state and deploy-service's requests still unanswered)
 * in the compacted topic {@link Topics#LB_SERVERS}, which it alone writes.
 *
 * <ul>
 *   <li>Every {@code canary.lb.snapshot-interval} (and at shutdown) the servers that changed
 *       ({@code server:<backend>/<server>}) and the {@code positions} they cover are written in one
 *       Kafka transaction: a reader sees all of a snapshot or nothing of it. What is written is the
 *       fold of the events, never the running handlers' decisions, which go ahead of their events.
 *   <li>At start (after the topics are checked, before the channels start) the topic is read whole
 *       into the fold and the live wanted states; the state consumer ({@code lb-state}) is then
 *       sought to the positions when first assigned ({@link LbReplay}), so its start-up replay
 *       reads only what came after. Reconciliation still waits for that replay.
 *   <li>No snapshot (the first start, or the first after an upgrade): the state consumer reads the
 *       topics from their beginning, as it always did, and the fold is written at the first
 *       interval.
 * </ul>
 */
@ApplicationScoped
public class LbSnapshots {
    /** Runs after the topics are checked ({@link TopicsAtStart#PRIORITY}), before the channels. */
    public static final int PRIORITY = TopicsAtStart.PRIORITY + 50;

    static final String WHAT = "lb-service's snapshot (" + Topics.LB_SERVERS + ")";
    static final String SERVER_KEY = "server:";
    static final String POSITIONS_KEY = "positions";

    private static final Logger LOG = Logger.getLogger(LbSnapshots.class);

    /** The {@code positions} record: the next offset of every partition the servers cover. */
    public record Positions(Map<String, Long> next) {}

    private final Map<String, Object> kafka;
    private final TopicsConfig topics;
    private final WantedStates wanted;
    private final Map<String, Long> resumeAt = new ConcurrentHashMap<>();
    private SnapshotTopic writer;
    private volatile boolean opened;
    private volatile int loadedServers = -1;

    @Inject
    public LbSnapshots(
            @Identifier("default-kafka-broker") Map<String, Object> kafka,
            TopicsConfig topics,
            LbConfig config,
            WantedStates wanted) {
        this(kafka, topics, wanted);
    }

    public LbSnapshots(Map<String, Object> kafka, TopicsConfig topics, WantedStates wanted) {
        this.kafka = kafka;
        this.topics = topics;
        this.wanted = wanted;
    }

    void onStart(@Observes @Priority(PRIORITY) StartupEvent event) {
        open();
        opened = true;
    }

    /** Every {@code canary.lb.snapshot-interval}, once the snapshot is read. */
    @Scheduled(
            identity = "lb-snapshots",
            every = "${canary.lb.snapshot-interval:5s}",
            delayed = "${canary.lb.snapshot-interval:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void flushEveryInterval() {
        if (opened) {
            flushQuietly();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (opened) {
            opened = false; // no scheduled flush after the last one
            flushQuietly();
        }
        close();
    }

    /**
     * Checks the topic and reads the snapshot into the fold and the live wanted states; the state
     * consumer resumes at its positions ({@link #resumeAt}).
     */
    public synchronized void open() {
        long t0 = System.nanoTime();
        if (topics.checkAtStart()) {
            new TopicGuard(kafka, new TopicCatalogue(topics), topics.startTimeout())
                    .ensure(List.of(Topics.LB_SERVERS));
        }
        Map<ServerKey, StateFold.Server> servers = new HashMap<>();
        Positions[] positions = {null};
        try {
            SnapshotTopic.readAll(
                    kafka,
                    Topics.LB_SERVERS,
                    "lb-snapshot-load",
                    (k, v) -> {
                        if (k.startsWith(SERVER_KEY) && v != null) {
                            StateFold.Server s =
                                    SnapshotTopic.read(v, StateFold.Server.class, WHAT);
                            servers.put(s.key(), s);
                        } else if (k.equals(POSITIONS_KEY) && v != null) {
                            positions[0] = SnapshotTopic.read(v, Positions.class, WHAT);
                        }
                    });
        } catch (IllegalStateException e) {
            if (topics.checkAtStart()) {
                throw e;
            }
            // topics not checked (a service run without its catalogue): no topic, no snapshot
            LOG.warnf("%s not read (%s): starting without a snapshot", Topics.LB_SERVERS, e);
        }
        if (positions[0] == null) {
            // a snapshot is written in one transaction, servers with their positions: without
            // positions there are no servers either
            loadedServers = 0;
            LOG.infof(
                    "no snapshot in %s: the wanted states are replayed from the beginning of %s"
                            + " and %s",
                    Topics.LB_SERVERS, Topics.LB, Topics.DEPLOY);
            return;
        }
        List<StateFold.Server> list = new ArrayList<>(servers.values());
        wanted.fold().restore(list, positions[0].next());
        for (StateFold.Server s : list) {
            if (s.wanted() != null) {
                wanted.apply(s.key(), s.wanted());
            }
            if (s.weight() != null) {
                wanted.applyWeight(s.key(), s.weight());
            }
        }
        resumeAt.putAll(positions[0].next());
        loadedServers = list.size();
        LOG.infof(
                "snapshot read from %s in %d ms: %d servers, positions %s",
                Topics.LB_SERVERS,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                list.size(),
                positions[0].next());
    }

    /**
     * Where the state consumer resumes a partition ({@code topic:partition}) when it is first
     * assigned: the snapshot's position, once (empty: from its beginning).
     */
    public Optional<Long> resumeAt(String topic, int partition) {
        return Optional.ofNullable(resumeAt.remove(StateFold.position(topic, partition)));
    }

    /** Servers read from the snapshot at start (-1 before, 0 without a snapshot). */
    public int loadedServers() {
        return loadedServers;
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warnf("cannot write the lb snapshot now (retried): %s", e.toString());
        }
    }

    /** Writes the servers that changed and the positions, in one transaction. */
    public synchronized void flush() {
        Optional<StateFold.Snapshot> taken = wanted.fold().take();
        if (taken.isEmpty()) {
            return;
        }
        StateFold.Snapshot s = taken.get();
        try {
            if (writer == null) {
                writer =
                        new SnapshotTopic(
                                kafka, "lb-snapshots", KafkaPrincipals.LB_SNAPSHOTS_TRANSACTION);
            }
            SnapshotTopic w = writer;
            w.inTransaction(
                    () -> {
                        for (StateFold.Server x : s.servers()) {
                            w.send(Topics.LB_SERVERS, SERVER_KEY + x.key(), x);
                        }
                        w.send(Topics.LB_SERVERS, POSITIONS_KEY, new Positions(s.next()));
                    });
            if (!s.servers().isEmpty()) {
                LOG.debugf("lb snapshot: %d servers written", s.servers().size());
            }
        } catch (RuntimeException e) {
            wanted.fold().unwritten(s);
            if (writer != null) {
                // a failed transaction may leave the producer unusable: the next write makes
                // a new one (which also fences this one)
                writer.close();
                writer = null;
            }
            throw e;
        }
    }

    /** Closes the writer (nothing flushed). */
    public synchronized void close() {
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }
}
