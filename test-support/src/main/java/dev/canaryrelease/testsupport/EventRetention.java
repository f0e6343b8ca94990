package dev.canaryrelease.testsupport;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;

import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;

/**
 * The event topics' retention, done at once on the test broker: what a snapshot must outlive. The
 * snapshot topics ({@link Topics#SNAPSHOTS}) are left as they are.
 */
public final class EventRetention {
    private EventRetention() {}

    /**
     * Deletes every record of every {@code *.events} topic ({@link Topics#ALL}, those that exist)
     * with {@code Admin.deleteRecords}, as the broker's own principal (retention's part): their
     * beginning offsets move to their ends, and a consumer from the beginning reads nothing.
     */
    public static void deleteEventRecords() {
        try (Admin admin = Admin.create(KafkaTestResource.clientConfig(KafkaPrincipals.BROKER))) {
            java.util.Set<String> existing = admin.listTopics().names().get(10, TimeUnit.SECONDS);
            java.util.List<String> topics = Topics.ALL.stream().filter(existing::contains).toList();
            Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
            admin.describeTopics(topics)
                    .allTopicNames()
                    .get(10, TimeUnit.SECONDS)
                    .forEach(
                            (t, d) ->
                                    d.partitions()
                                            .forEach(
                                                    p ->
                                                            ask.put(
                                                                    new TopicPartition(
                                                                            t, p.partition()),
                                                                    OffsetSpec.latest())));
            Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
            admin.listOffsets(ask)
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .forEach((tp, o) -> delete.put(tp, RecordsToDelete.beforeOffset(o.offset())));
            admin.deleteRecords(delete).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot delete the event topics' records", e);
        }
    }
}
