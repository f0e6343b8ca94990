package dev.canaryrelease.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;

import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * The whole service start, refused: a dead-letter topic someone made compacted stops the gateway
 * before any channel starts, with a message naming the topic, the setting, the actual and the
 * wanted value. (The dead-letter topic is renamed for this test so the shared broker's real one
 * stays as the other tests need it.)
 */
@QuarkusMainTest
@TestProfile(TopicCheckAtStartTest.CompactedDeadLetters.class)
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class TopicCheckAtStartTest {
    static final String TOPIC = "dead-letter-topic-gateway-in-start-check";
    static final Path LOG = Path.of("target", "topic-check-at-start.log").toAbsolutePath();

    public static class CompactedDeadLetters implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // the service's log, as an operator reads it (the launcher does not capture the log)
            return Map.of(
                    "mp.messaging.incoming.gateway-in.dead-letter-queue.topic",
                    TOPIC,
                    "quarkus.log.file.enabled",
                    "true",
                    "quarkus.log.file.path",
                    LOG.toString());
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(CompactedTopic.class));
        }
    }

    /**
     * Creates the compacted topic on the broker the launched gateway gets (test resources run in
     * the application's class loader, where {@link KafkaTestResource}'s broker lives).
     */
    public static class CompactedTopic implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try (Admin admin =
                    Admin.create(KafkaTestResource.clientConfig(KafkaPrincipals.BROKER))) {
                if (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(TOPIC)) {
                    admin.createTopics(
                                    List.of(
                                            new NewTopic(TOPIC, 1, (short) 1)
                                                    .configs(Map.of("cleanup.policy", "compact"))))
                            .all()
                            .get(10, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot create " + TOPIC, e);
            }
            return Map.of();
        }

        @Override
        public void stop() {}
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aTopicWithTheWrongCleanupPolicyStopsTheStart(QuarkusMainLauncher launcher)
            throws Exception {
        Files.deleteIfExists(LOG);

        LaunchResult result = launcher.launch();

        String output = Files.exists(LOG) ? Files.readString(LOG) : "(no log written)";
        assertEquals(1, result.exitCode(), output);
        assertTrue(
                output.contains("topic '" + TOPIC + "': cleanup.policy is compact, wanted delete"),
                output);
        assertTrue(output.contains("refusing to start"), output);
    }
}
