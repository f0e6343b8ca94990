package dev.canaryrelease.builder.messaging;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;
import jakarta.enterprise.inject.Instance;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

import dev.canaryrelease.builder.domain.OffsetBook;

/**
 * Which apps this instance builds: those of the partitions of {@code gateway.events} the consumer
 * group {@code build-service} gave it (every event is keyed by its app, so an app's requests are
 * all on one partition). Kafka decides, through the group's rebalance (cooperative sticky: a
 * partition that moves is revoked from its owner before another member is given it); there is no
 * election of our own.
 *
 * <p>Offsets are committed by this class, never by the connector ({@code commit-strategy=ignore}):
 * a record is committed once its outcome is acknowledged by Kafka ({@link OffsetBook}). On
 * revocation the builds of the partitions leaving are stopped without an outcome, the outcomes
 * being published are waited for, and the commit point is committed while the partitions are still
 * this member's; the next owner reads the committed offset and its metadata, builds what had no
 * outcome and skips what had one.
 */
@ApplicationScoped
@Default
@Identifier(PartitionOwnership.NAME)
public class PartitionOwnership implements KafkaConsumerRebalanceListener {
    private static final Logger LOG = Logger.getLogger(PartitionOwnership.class);

    /** The bean's name, {@code mp.messaging.incoming.build-in.consumer-rebalance-listener.name}. */
    public static final String NAME = "build-in-rebalance";

    static final String CHANNEL = "build-in";

    /** How long a revocation waits for the outcomes being published. */
    static final long PUBLISH_WAIT_MS = 10_000;

    private final OffsetBook book = new OffsetBook();
    private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
    private final Map<Integer, String> topics = new ConcurrentHashMap<>();
    private final AtomicBoolean commitScheduled = new AtomicBoolean();
    private final Instance<BuildQueue> queue;
    private final Instance<KafkaClientService> clients;

    public PartitionOwnership(Instance<BuildQueue> queue, Instance<KafkaClientService> clients) {
        this.queue = queue;
        this.clients = clients;
    }

    /** A record read from a partition: where it is, and how to say it is done. */
    public record Delivery(int partition, long offset, Runnable done) {
        /** Not from Kafka (a test's direct call): nothing to commit. */
        public static final Delivery NONE = new Delivery(-1, -1, () -> {});
    }

    /** The partition numbers this instance owns now. */
    public Set<Integer> owned() {
        return new TreeSet<>(owned);
    }

    /**
     * The delivery of a record: empty if its partition is not this instance's any more (a record
     * read before a revocation: its new owner reads it again). A record a previous owner had done
     * (listed in the committed metadata) is a delivery whose {@code skip} is true.
     */
    Optional<Received> receive(Message<?> message) {
        @SuppressWarnings("rawtypes")
        Optional<IncomingKafkaRecordMetadata> meta =
                message.getMetadata(IncomingKafkaRecordMetadata.class);
        if (meta.isEmpty()) {
            return Optional.of(new Received(Delivery.NONE, false));
        }
        int partition = meta.get().getPartition();
        long offset = meta.get().getOffset();
        if (!owned.contains(partition)) {
            LOG.infof(
                    "record %d of partition %d left alone: the partition is not this instance's"
                            + " any more",
                    offset, partition);
            return Optional.empty();
        }
        topics.putIfAbsent(partition, meta.get().getTopic());
        boolean skip = book.received(partition, offset);
        return Optional.of(
                new Received(new Delivery(partition, offset, () -> done(partition, offset)), skip));
    }

    /** A delivery, and whether a previous owner had already done it. */
    record Received(Delivery delivery, boolean skip) {}

    private void done(int partition, long offset) {
        book.done(partition, offset);
        commitSoon();
    }

    /** Commits the commit points on the consumer's polling thread (one commit for many). */
    private void commitSoon() {
        if (!commitScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            clients.get()
                    .<String, byte[]>getConsumer(CHANNEL)
                    .runOnPollingThread(
                            (java.util.function.Consumer<Consumer<String, byte[]>>)
                                    c -> {
                                        commitScheduled.set(false);
                                        commit(c, book.points());
                                    })
                    .subscribe()
                    .with(x -> {}, e -> LOG.warnf("offset commit not made: %s", e.toString()));
        } catch (RuntimeException e) {
            commitScheduled.set(false);
            LOG.warnf("offset commit not made: %s", e.toString());
        }
    }

    private void commit(Consumer<?, ?> consumer, Map<Integer, OffsetBook.Point> points) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        points.forEach(
                (p, pt) -> {
                    String topic = topics.get(p);
                    if (topic != null && owned.contains(p)) {
                        offsets.put(
                                new TopicPartition(topic, p),
                                new OffsetAndMetadata(pt.offset(), pt.metadata()));
                    }
                });
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets);
        } catch (RuntimeException e) {
            LOG.warnf("offset commit %s not made: %s", offsets, e.toString());
        }
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> parts) {
        if (parts.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(parts));
        for (TopicPartition tp : parts) {
            OffsetAndMetadata c = committed.get(tp);
            topics.put(tp.partition(), tp.topic());
            book.assigned(
                    tp.partition(), c == null ? null : c.offset(), c == null ? null : c.metadata());
            owned.add(tp.partition());
        }
        LOG.infof(
                "partitions %s of %s assigned: this instance builds their apps (owns %s)",
                numbers(parts), parts.iterator().next().topic(), owned());
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> parts) {
        if (parts.isEmpty()) {
            return;
        }
        Set<Integer> leaving = numbers(parts);
        owned.removeAll(leaving);
        List<CompletableFuture<?>> publishing = queue.get().revoke(leaving);
        try {
            CompletableFuture.allOf(publishing.toArray(CompletableFuture[]::new))
                    .get(PUBLISH_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warnf(
                    "partitions %s revoked while %d outcomes were still being published: %s",
                    leaving, publishing.size(), e.toString());
        }
        Map<Integer, OffsetBook.Point> points = new HashMap<>();
        for (int p : leaving) {
            book.point(p).ifPresent(pt -> points.put(p, pt));
        }
        // still this member's partitions until this callback returns: commit them
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        points.forEach(
                (p, pt) ->
                        offsets.put(
                                new TopicPartition(topics.get(p), p),
                                new OffsetAndMetadata(pt.offset(), pt.metadata())));
        if (!offsets.isEmpty()) {
            try {
                consumer.commitSync(offsets);
            } catch (RuntimeException e) {
                // lost partitions (another member has them already) cannot be committed: their
                // next owner builds again what had an outcome after the last commit
                LOG.warnf("commit at revocation %s not made: %s", offsets, e.toString());
            }
        }
        leaving.forEach(book::revoked);
        LOG.infof(
                "partitions %s revoked: their builds stopped without an outcome, committed %s"
                        + " (owns %s)",
                leaving, offsets, owned());
    }

    private static Set<Integer> numbers(Collection<TopicPartition> parts) {
        Set<Integer> n = new TreeSet<>();
        parts.forEach(tp -> n.add(tp.partition()));
        return n;
    }
}
