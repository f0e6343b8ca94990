package dev.canaryrelease.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArraySet;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.deploy.domain.Ownership;
import dev.canaryrelease.deploy.messaging.DeployEngine;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * Two instances of deploy-service share the apps through their consumer group (issue 19, point 3):
 * the service under test, and a second member of group {@code deploy-service} that takes half of
 * the partitions (a plain consumer that reads nothing, so what it is given is visibly not done by
 * the service). The fleet has one app on each of the test broker's six partitions. The service acts
 * only for the apps of its own partitions; when the other member leaves, the service is given its
 * partitions, folds what was sent to them meanwhile and carries it out, once.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(PartitionOwnershipTest.Resource.class)
class PartitionOwnershipTest {
    static final Duration WAIT = PlayedServices.SWAP;

    /** One app per partition of the test broker's topics. */
    static final List<String> APPS = onEveryPartition();

    static List<String> onEveryPartition() {
        String[] byPartition = new String[KafkaTestResource.PARTITIONS];
        int found = 0;
        for (int i = 0; found < byPartition.length; i++) {
            String app = "owned-" + i;
            int p = Ownership.partitionOf(app, byPartition.length);
            if (byPartition[p] == null) {
                byPartition[p] = app;
                found++;
            }
        }
        return List.of(byPartition);
    }

    /** The deploy infrastructure with a fleet of the six apps. */
    public static class Resource extends DeployInfraResource {
        @Override
        public Map<String, String> start() {
            Infra.start();
            Infra.resetToV1();
            Infra.extraHosts = "";
            Map<String, String> config = new java.util.HashMap<>(Infra.registryConfig());
            config.put(
                    "canary.fleet.path",
                    Infra.writeFleet(APPS.get(0), rollout(), APPS.subList(1, APPS.size()))
                            .toString());
            return config;
        }
    }

    /** The topics of deploy-in. */
    static final List<String> TOPICS =
            List.of(Topics.GATEWAY, Topics.BUILD, Topics.REGISTRY, Topics.LB);

    /** A second member of deploy-service's consumer group, on the topics of deploy-in. */
    static final class OtherInstance implements AutoCloseable {
        final KafkaConsumer<String, byte[]> consumer;
        final Set<TopicPartition> assigned = new CopyOnWriteArraySet<>();
        final Thread poller;
        volatile boolean running = true;

        OtherInstance() {
            Properties p = new Properties();
            p.putAll(KafkaTestResource.clientConfig("deploy-service"));
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "deploy-service");
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, "deploy-service-other");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(
                    ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                    RangeAssignor.class.getName());
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            p.put(
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                    ByteArrayDeserializer.class.getName());
            consumer = new KafkaConsumer<>(p);
            consumer.subscribe(
                    TOPICS,
                    new ConsumerRebalanceListener() {
                        @Override
                        public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                            assigned.removeAll(parts);
                        }

                        @Override
                        public void onPartitionsAssigned(Collection<TopicPartition> parts) {
                            assigned.addAll(parts);
                        }
                    });
            poller =
                    new Thread(
                            () -> {
                                // it takes its share and acts on nothing: records are dropped,
                                // nothing is committed
                                while (running) consumer.poll(Duration.ofMillis(100));
                                consumer.close(); // leaves the group: a rebalance
                            },
                            "other-deploy-instance");
            poller.start();
        }

        /**
         * The partition numbers it holds on every topic of deploy-in right now (a number it has on
         * some topics only is not one: the range assignor has not finished handing them out).
         */
        Set<Integer> partitions() {
            Set<Integer> numbers = new TreeSet<>();
            for (TopicPartition tp : assigned) numbers.add(tp.partition());
            numbers.removeIf(
                    n ->
                            TOPICS.stream()
                                    .anyMatch(t -> !assigned.contains(new TopicPartition(t, n))));
            return numbers;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            poller.join(30_000);
        }
    }

    static PlayedServices played;

    @BeforeAll
    static void start() {
        played = PlayedServices.open();
    }

    @AfterAll
    static void stop() {
        played.close();
    }

    @Inject DeployEngine engine;

    @Test
    void eachInstanceRunsTheAppsOfItsPartitionsAndTakesTheOthersOverWhenTheyAreFreed()
            throws Exception {
        Map<String, String> releases = new LinkedHashMap<>();
        List<String> theirs = new ArrayList<>();
        List<String> mine = new ArrayList<>();
        try (OtherInstance other = new OtherInstance()) {
            // the group settles: the other member may first be given every partition (the
            // service's consumer not yet back in the group) and the service none; the split is
            // there once each holds a share and together they hold every app, each app once
            Set<Integer> taken = new TreeSet<>();
            Awaitility.await("both members of the group hold a share of the apps")
                    .atMost(WAIT)
                    .pollInterval(Duration.ofMillis(200))
                    .until(
                            () -> {
                                taken.clear();
                                taken.addAll(other.partitions());
                                if (taken.isEmpty()
                                        || taken.size() >= KafkaTestResource.PARTITIONS) {
                                    return false;
                                }
                                Set<String> expected = new TreeSet<>();
                                for (String app : APPS) {
                                    if (!taken.contains(partitionOf(app))) expected.add(app);
                                }
                                return engine.owned().equals(expected);
                            });
            for (String app : APPS) {
                (taken.contains(partitionOf(app)) ? theirs : mine).add(app);
                releases.put(app, "rel-" + UUID.randomUUID());
            }
            assertFalse(theirs.isEmpty(), "the other instance has a share: " + taken);
            assertFalse(mine.isEmpty(), "and so has the service: " + engine.owned());
            // the other instance's apps first, so that they are on the topics before ours
            for (String app : theirs) push(releases.get(app), app);
            for (String app : mine) push(releases.get(app), app);
            for (String app : mine) played.requested(releases.get(app), "docker0", Stage.CANARY);
            // pushed before the service's own, which it has acted on: it leaves them alone
            Awaitility.await("the other instance's apps are not acted on by the service")
                    .during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> theirs.stream().allMatch(a -> requests(releases.get(a)) == 0));
            assertEquals(
                    other.partitions(), taken, "the group did not move while the apps were sent");
        }
        // the other instance left: the service is given every partition, folds what was sent to
        // the other's partitions meanwhile, and carries it out
        Awaitility.await("the service runs every app")
                .atMost(WAIT)
                .until(() -> engine.owned().equals(new TreeSet<>(APPS)));
        for (String app : theirs) played.requested(releases.get(app), "docker0", Stage.CANARY);
        Awaitility.await("every canary is asked for once, and only once")
                .during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10))
                .until(() -> APPS.stream().allMatch(a -> requests(releases.get(a)) == 1));
        for (String app : APPS) {
            assertEquals(1, requests(releases.get(app)), app + ": its canary is asked for once");
        }
    }

    static int partitionOf(String app) {
        return Ownership.partitionOf(app, KafkaTestResource.PARTITIONS);
    }

    static void push(String release, String app) {
        played.registry.send(
                new ImagePushed(release, app, Infra.REPO, Infra.v2.substring(7, 19), Infra.v2));
    }

    static long requests(String release) {
        return played.capture.records().stream()
                .filter(r -> r.event().isPresent())
                .map(r -> r.event().get())
                .filter(
                        e ->
                                e.releaseId().equals(release)
                                        && e.type() == EventType.HOST_UPDATE_REQUESTED)
                .count();
    }
}
