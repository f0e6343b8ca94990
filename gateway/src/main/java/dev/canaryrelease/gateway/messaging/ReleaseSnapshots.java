package dev.canaryrelease.gateway.messaging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Default;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;

import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.snapshot.SnapshotTopic;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.events.topics.TopicsAtStart;
import dev.canaryrelease.events.topics.TopicsConfig;
import dev.canaryrelease.gateway.config.GatewayConfig;
import dev.canaryrelease.gateway.domain.DeliveryIndex;
import dev.canaryrelease.gateway.domain.Pages;
import dev.canaryrelease.gateway.domain.ReleaseStore;
import dev.canaryrelease.gateway.domain.Stored;

/**
 * The gateway's durable state, in two compacted topics it alone writes ({@link
 * Topics#GATEWAY_RELEASES}, {@link Topics#GATEWAY_RELEASE_DETAILS}), so release history, its audit
 * trail and the push dedupe outlive the event topics' retention and a restart replays only what
 * came after the last checkpoint.
 *
 * <ul>
 *   <li>Every {@code canary.gateway.snapshot-interval}, the releases that changed are written:
 *       first each one's detail (timeline, audit) to {@code gateway.release-details}, then, once
 *       acknowledged, its summary with the detail's offset to {@code gateway.releases}, the hosts
 *       of the apps that changed, and last the {@code checkpoint}: the next offset of every event
 *       partition those records cover.
 *   <li>At start, on a thread of its own ({@code gateway-snapshot-load}, begun before the event
 *       topics are checked, so Quarkus's start goes on meanwhile), {@code gateway.releases} is read
 *       whole into the store's index, the hosts and the push dedupe; the incoming channel waits for
 *       it in its rebalance listener (this class) and then seeks each partition to the checkpoint.
 *       Until then the read model is not ready ({@link ReplayTracker}: readiness DOWN, the API
 *       503). With no checkpoint (the first start, or the first after an upgrade) the event topics
 *       are replayed from their beginning once ({@link StartupReplay}), and what it builds is
 *       written at the next interval. A read that fails ends the process (exit 1), as a failed
 *       start did when the read ran on the start-up thread.
 *   <li>A release the store no longer holds is read back from {@code gateway.release-details}:
 *       assign, seek to its offset, read its record.
 * </ul>
 *
 * A crash between a release's records and the checkpoint replays some events again: the store skips
 * those by the positions each release records.
 */
@ApplicationScoped
@Default // also injected plainly
@Identifier(ReleaseSnapshots.NAME)
public class ReleaseSnapshots
        implements KafkaConsumerRebalanceListener, ReleaseStore.DetailSource, Pages.Reader {
    /** The name in {@code mp.messaging.incoming.gateway-in.consumer-rebalance-listener.name}. */
    public static final String NAME = "gateway-in-resume";

    /**
     * Begins the read of the index before the event topics are checked ({@link
     * TopicsAtStart#PRIORITY}), so the two overlap; the channels start without waiting for it.
     */
    public static final int PRIORITY = TopicsAtStart.PRIORITY - 100;

    static final String RELEASE_KEY = "release:";
    static final String HOSTS_KEY = "hosts:";
    static final String CHECKPOINT_KEY = "checkpoint";
    static final String PAGES_KEY = "pages:";
    static final String BUCKETS_KEY = "buckets";

    private static final Logger LOG = Logger.getLogger(ReleaseSnapshots.class);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private final ReleaseStore store;
    private final DeliveryIndex deliveries;
    private final Map<String, Object> kafka;
    private final TopicsConfig topics;
    private final Map<String, Long> resumeAt = new ConcurrentHashMap<>();
    private volatile Map<String, Long> checkpoint = Map.of();
    private Map<String, Long> written = Map.of();
    private SnapshotTopic producer;
    private KafkaConsumer<String, byte[]> reader;
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    private final Object readLock = new Object();
    private volatile boolean opened;
    private volatile long loadMillis = -1;
    private volatile CompletableFuture<Map<String, Long>> resumeAfter;

    /** Paged releases whose {@code release:<id>} is still to be deleted. */
    private final List<String> tombstonesDue = new ArrayList<>();

    @Inject
    public ReleaseSnapshots(
            ReleaseStore store,
            DeliveryIndex deliveries,
            @Identifier("default-kafka-broker") Map<String, Object> kafka,
            TopicsConfig topics,
            GatewayConfig config) {
        this(store, deliveries, kafka, topics);
    }

    public ReleaseSnapshots(
            ReleaseStore store,
            DeliveryIndex deliveries,
            Map<String, Object> kafka,
            TopicsConfig topics) {
        this.store = store;
        this.deliveries = deliveries;
        this.kafka = kafka;
        this.topics = topics;
    }

    void onStart(@Observes @Priority(PRIORITY) StartupEvent event) {
        Thread t =
                new Thread(
                        () -> {
                            try {
                                open();
                            } catch (RuntimeException e) {
                                LOG.errorf(
                                        e,
                                        "cannot read the release index from %s: the gateway stops",
                                        Topics.GATEWAY_RELEASES);
                                loaded.completeExceptionally(e);
                                Quarkus.asyncExit(1);
                            }
                        },
                        "gateway-snapshot-load");
        t.setDaemon(true);
        t.start();
    }

    /** Every {@code canary.gateway.snapshot-interval}, once the index is read. */
    @Scheduled(
            identity = "gateway-snapshots",
            every = "${canary.gateway.snapshot-interval}",
            delayed = "${canary.gateway.snapshot-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void flushEveryInterval() {
        if (opened) {
            flushQuietly();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (opened) {
            flushQuietly();
        }
        close();
    }

    /**
     * Creates (or checks) the two topics, reads {@code gateway.releases} into the store and the
     * push dedupe, and makes the store read evicted releases from here.
     */
    public synchronized void open() {
        long t0 = System.nanoTime();
        // the two topics are checked while the index is read (a round trip of its own, about a
        // second at C1 on a loaded machine); a topic configured differently still stops the start
        CompletableFuture<Void> checked = new CompletableFuture<>();
        if (topics.checkAtStart()) {
            Thread t =
                    new Thread(
                            () -> {
                                try {
                                    new TopicGuard(
                                                    kafka,
                                                    new TopicCatalogue(topics),
                                                    topics.startTimeout())
                                            .ensure(Topics.GATEWAY_SNAPSHOTS);
                                    checked.complete(null);
                                } catch (Throwable e) {
                                    checked.completeExceptionally(e);
                                }
                            },
                            "gateway-snapshot-check");
            t.setDaemon(true);
            t.start();
        } else {
            checked.complete(null);
        }
        producer = new SnapshotTopic(kafka, "gateway-snapshots", null);
        reader = SnapshotTopic.consumer(kafka, "gateway-snapshot-reader", 256 * 1024);
        try {
            load();
        } catch (IllegalStateException notThereYet) {
            // the first start: the check creates the topic, then it is read (empty)
            await(checked);
            load();
        }
        await(checked);
        store.source(this);
        store.pages(this);
        refillDedupe();
        opened = true;
        loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        loaded.complete(null);
        LOG.infof(
                "release index read from %s in %d ms: %d releases in memory, %d paged, checkpoint"
                        + " %s",
                Topics.GATEWAY_RELEASES,
                loadMillis,
                store.size(),
                store.paged(),
                checkpoint.isEmpty()
                        ? "none (the event topics are replayed from the beginning)"
                        : checkpoint);
    }

    /**
     * Reads {@code gateway.releases} from its beginning to its end. Only each key's latest record
     * is parsed: the topic is compacted in the background, so after a busy hour (or a first start,
     * which writes a release at every interval it changed in) it holds several versions of a key.
     */
    private void load() {
        Map<String, byte[]> latest = new HashMap<>();
        SnapshotTopic.readAll(
                kafka,
                Topics.GATEWAY_RELEASES,
                "gateway-snapshot-load",
                (k, value) -> {
                    if (value == null) {
                        latest.remove(k);
                    } else {
                        latest.put(k, value);
                    }
                });
        Map<String, Stored.Summary> summaries = new HashMap<>();
        Map<String, Stored.Hosts> hosts = new HashMap<>();
        Map<String, Long> checkpointRead = new HashMap<>();
        List<Stored.Chain> chains = new ArrayList<>();
        Stored.Buckets[] buckets = {null};
        latest.forEach(
                (k, value) -> {
                    if (k.startsWith(RELEASE_KEY)) {
                        summaries.put(
                                k.substring(RELEASE_KEY.length()),
                                read(value, Stored.Summary.class));
                    } else if (k.startsWith(HOSTS_KEY)) {
                        Stored.Hosts h = read(value, Stored.Hosts.class);
                        hosts.put(h.app(), h);
                    } else if (k.equals(CHECKPOINT_KEY)) {
                        checkpointRead.putAll(read(value, Stored.Checkpoint.class).next());
                    } else if (k.startsWith(PAGES_KEY)) {
                        chains.add(read(value, Stored.Chain.class));
                    } else if (k.equals(BUCKETS_KEY)) {
                        buckets[0] = read(value, Stored.Buckets.class);
                    }
                });
        latest.clear();
        Map<String, Long> next = checkpointRead;
        store.restore(summaries.values(), hosts.values(), next, chains, buckets[0]);
        synchronized (tombstonesDue) {
            tombstonesDue.clear();
            tombstonesDue.addAll(store.pendingTombstones());
        }
        checkpoint = Map.copyOf(next);
        written = checkpoint;
        resumeAt.putAll(next);
    }

    /**
     * The push dedupe: the newest paged releases (as many as it holds beyond the ones in memory),
     * then those in memory, oldest first, so the most recent stay in its LRU.
     */
    private void refillDedupe() {
        int inMemory = store.size();
        List<Stored.Summary> all =
                new ArrayList<>(
                        store.pagedOldestFirst(Math.max(0, deliveries.capacity() - inMemory)));
        all.addAll(store.summariesOldestFirst());
        for (Stored.Summary s : all) {
            if (s.deliveryId() != null || s.commitSha() != null) {
                deliveries.remember(
                        new DeliveryIndex.Accepted(
                                s.id(), s.app(), s.ref(), s.commitSha(), s.deliveryId()));
            }
        }
    }

    private static void await(CompletableFuture<Void> checked) {
        try {
            checked.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private static <T> T read(byte[] json, Class<T> type) {
        return SnapshotTopic.read(json, type, "the gateway's snapshot");
    }

    /**
     * The checkpoint read at start: per {@code topic:partition}, the next offset to read (empty:
     * replay from the beginning).
     */
    public Map<String, Long> checkpoint() {
        return checkpoint;
    }

    /** Completes once the index is read ({@link #open}); exceptionally if the read failed. */
    public CompletableFuture<Void> loaded() {
        return loaded.copy();
    }

    /** How long reading the index took at start, in ms (-1 before). */
    public long loadMillis() {
        return loadMillis;
    }

    /**
     * The channel waits for {@code merge} (the first start's {@link StartupReplay}) and goes on
     * from where it ended, per {@code topic:partition}.
     */
    void resumeAfter(CompletableFuture<Map<String, Long>> merge) {
        resumeAfter = merge;
    }

    @Override
    public void onPartitionsAssigned(
            Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        // on the channel's polling thread: seek each partition once, to the checkpoint, or to
        // where the first start's merged replay ended (waited for: the index read and the merge
        // run once, before the channel reads anything; the channel's max.poll.interval.ms allows
        // for them)
        if (!partitions.isEmpty()) {
            try {
                loaded.join();
            } catch (CompletionException e) {
                return; // the process is ending (see onStart)
            }
        }
        CompletableFuture<Map<String, Long>> merge = resumeAfter;
        if (merge != null && !partitions.isEmpty()) {
            resumeAfter = null;
            resumeAt.putAll(merge.join());
        }
        for (TopicPartition tp : partitions) {
            Long at = resumeAt.remove(tp.topic() + ":" + tp.partition());
            if (at != null) {
                consumer.seek(tp, at);
            }
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warnf("cannot write the release snapshot now (retried): %s", e.toString());
        }
    }

    /**
     * Writes what changed: details, then summaries and hosts, then the checkpoint; each step only
     * once the one before is acknowledged.
     */
    public synchronized void flush() {
        if (producer == null) {
            return; // not open yet, or closed
        }
        ReleaseStore.Changes ch = store.takeChanges();
        if (ch.isEmpty() && ch.checkpoint().equals(written)) {
            pageOut();
            return;
        }
        List<String> hostApps = ch.hosts().stream().map(Stored.Hosts::app).toList();
        try {
            List<Future<RecordMetadata>> details = new ArrayList<>();
            for (ReleaseStore.ChangedRelease r : ch.releases()) {
                details.add(producer.send(Topics.GATEWAY_RELEASE_DETAILS, r.id(), r.detail()));
            }
            producer.flush();
            List<Future<RecordMetadata>> index = new ArrayList<>();
            for (int i = 0; i < details.size(); i++) {
                ReleaseStore.ChangedRelease r = ch.releases().get(i);
                RecordMetadata m = get(details.get(i));
                Stored.Summary s = store.stored(r.id(), r.version(), m.partition(), m.offset());
                if (s != null) {
                    index.add(send(RELEASE_KEY + r.id(), s));
                }
            }
            for (Stored.Hosts h : ch.hosts()) {
                index.add(send(HOSTS_KEY + h.app(), h));
            }
            producer.flush();
            for (Future<RecordMetadata> f : index) {
                get(f);
            }
            if (!ch.checkpoint().equals(written)) {
                get(
                        send(
                                CHECKPOINT_KEY,
                                new Stored.Checkpoint(new LinkedHashMap<>(ch.checkpoint()))));
                written = ch.checkpoint();
            }
        } catch (RuntimeException e) {
            store.hostsNotStored(hostApps);
            throw e;
        }
        pageOut();
    }

    /**
     * Moves the settled releases past {@code canary.gateway.index-releases} out of memory: their
     * pages and buckets to {@code gateway.release-pages}, once acknowledged the directory to {@code
     * gateway.releases}, then they leave memory and their {@code release:<id>} is deleted (a
     * tombstone). A paged release that came back into memory leaves its pages the same way.
     */
    private void pageOut() {
        List<String> due;
        synchronized (tombstonesDue) {
            due = List.copyOf(tombstonesDue);
        }
        ReleaseStore.PageOut p = store.pageOut(due);
        if (p == null) {
            if (!due.isEmpty()) {
                tombstones(due);
            }
            return;
        }
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (Pages.Write w : p.plan().writes) {
            acks.add(producer.send(Topics.GATEWAY_RELEASE_PAGES, w.key, w.value));
        }
        producer.flush();
        for (int i = 0; i < acks.size(); i++) {
            RecordMetadata m = get(acks.get(i));
            p.plan().writes.get(i).written(m.partition(), m.offset());
        }
        List<Future<RecordMetadata>> dir = new ArrayList<>();
        store.directory(p).forEach((k, v) -> dir.add(send(k, v)));
        producer.flush();
        dir.forEach(ReleaseSnapshots::get);
        List<String> gone = store.pagedOut(p);
        List<String> all = new ArrayList<>(due);
        for (Stored.Summary s : p.out()) {
            if (!all.contains(s.id())) all.add(s.id());
        }
        List<String> delete = new ArrayList<>(due);
        for (String id : gone) {
            if (!delete.contains(id)) delete.add(id);
        }
        synchronized (tombstonesDue) {
            tombstonesDue.addAll(gone);
        }
        LOG.debugf(
                "paged out %d releases (%d back in memory) in %d records",
                gone.size(), p.back().size(), p.plan().writes.size());
        tombstones(all, delete);
    }

    private void tombstones(List<String> due) {
        tombstones(due, due);
    }

    /**
     * Deletes {@code release:<id>} of the releases in {@code gone} and writes the {@code buckets}
     * record without every id of {@code done} pending.
     */
    private void tombstones(List<String> done, List<String> gone) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (String id : gone) {
            if (store.holds(id)) {
                continue; // back in memory meanwhile: its release:<id> is current again
            }
            acks.add(send(RELEASE_KEY + id, null));
        }
        producer.flush();
        acks.forEach(ReleaseSnapshots::get);
        get(send(BUCKETS_KEY, store.tombstoned(done)));
        synchronized (tombstonesDue) {
            tombstonesDue.removeAll(done);
        }
    }

    private Future<RecordMetadata> send(String key, Object value) {
        return producer.send(Topics.GATEWAY_RELEASES, key, value);
    }

    private static RecordMetadata get(Future<RecordMetadata> f) {
        return SnapshotTopic.await(f);
    }

    /**
     * Reads a release's detail record: from its offset on, the first record of its key (a newer
     * one, if the stored offset was compacted away).
     */
    @Override
    public Optional<Stored.Detail> load(Stored.Summary summary) {
        // not the lock of flush(): the store calls this holding its own lock, and flush() takes
        // the store's lock holding this object's
        synchronized (readLock) {
            return read(summary);
        }
    }

    private Optional<Stored.Detail> read(Stored.Summary summary) {
        return readKey(
                        Topics.GATEWAY_RELEASE_DETAILS,
                        summary.detailPartition(),
                        summary.detailOffset(),
                        summary.id())
                .map(ReleaseStore::parseDetail);
    }

    /** From {@code offset} on, the first record of {@code key} (caller holds {@code readLock}). */
    private Optional<byte[]> readKey(String topic, int partition, long offset, String key) {
        if (reader == null) {
            throw new IllegalStateException("the snapshot store is closed");
        }
        TopicPartition tp = new TopicPartition(topic, partition);
        reader.assign(List.of(tp));
        reader.seek(tp, offset);
        long end = reader.endOffsets(List.of(tp), READ_TIMEOUT).get(tp);
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        while (reader.position(tp) < end && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(100))) {
                if (key.equals(r.key()) && r.value() != null) {
                    return Optional.of(r.value());
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public Stored.Page page(Stored.PageRef ref) {
        // the page's chain is in its key: page:<seq>:<chain>; read through the directory's
        // chain, so any chain's page of that seq is the one (seqs are never reused)
        synchronized (readLock) {
            return pageAt(ref);
        }
    }

    private Stored.Page pageAt(Stored.PageRef ref) {
        TopicPartition tp = new TopicPartition(Topics.GATEWAY_RELEASE_PAGES, ref.partition());
        if (reader == null) {
            throw new IllegalStateException("the snapshot store is closed");
        }
        reader.assign(List.of(tp));
        reader.seek(tp, ref.offset());
        String prefix = "page:" + ref.seq() + ":";
        long end = reader.endOffsets(List.of(tp), READ_TIMEOUT).get(tp);
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        while (reader.position(tp) < end && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(100))) {
                if (r.key() != null && r.key().startsWith(prefix) && r.value() != null) {
                    return read(r.value(), Stored.Page.class);
                }
            }
        }
        throw new IllegalStateException(
                "page " + ref.seq() + " is not in " + Topics.GATEWAY_RELEASE_PAGES + " at " + tp);
    }

    @Override
    public Stored.Bucket bucket(int bucket, int partition, long offset) {
        synchronized (readLock) {
            return readKey(Topics.GATEWAY_RELEASE_PAGES, partition, offset, "bucket:" + bucket)
                    .map(v -> read(v, Stored.Bucket.class))
                    .orElseThrow(
                            () ->
                                    new IllegalStateException(
                                            "bucket "
                                                    + bucket
                                                    + " is not in "
                                                    + Topics.GATEWAY_RELEASE_PAGES));
        }
    }

    /** Flushes nothing; closes the clients. */
    public synchronized void close() {
        opened = false;
        if (producer != null) {
            producer.close();
            producer = null;
        }
        synchronized (readLock) {
            if (reader != null) {
                reader.close(Duration.ofSeconds(5));
                reader = null;
            }
        }
    }
}
