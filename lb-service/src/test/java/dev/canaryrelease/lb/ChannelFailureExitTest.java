package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AclOperation;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;

import dev.canaryrelease.common.messaging.ChannelWatchdog;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.infra.HaproxyServer;

/**
 * A failed channel never leaves the service alive but deaf (issue 14, point 3). The incident: a
 * record waited longer than SmallRye's throttled commit strategy allows for its acknowledgement
 * (there, the answer's publish during a broker outage), the strategy failed {@code lb-in} with
 * {@code TooManyMessagesWithoutAckException}, and the process went on reading nothing. Here the
 * wait is a drain held by an open session on a real HAProxy, with the allowed age cut to 1 s. What
 * an operator sees: the process ends with code 75 and its log names the channel and the failure.
 * (This test's deploy requests are on a topic of their own, so the shared broker's {@code
 * deploy.events} stays as the other tests need it.)
 */
@QuarkusMainTest
@TestProfile(ChannelFailureExitTest.ShortAckAge.class)
@WithTestResource(KafkaTestResource.class)
class ChannelFailureExitTest {
    static final String TOPIC = "channel-failure-test.deploy.events";

    public static class ShortAckAge implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "mp.messaging.incoming.lb-in.topics", TOPIC,
                    "mp.messaging.incoming.lb-in.group.id", "lb-service-channel-failure-test",
                    "mp.messaging.incoming.lb-in.throttled.unprocessed-record-max-age.ms", "1000",
                    "mp.messaging.incoming.lb-in.auto.commit.interval.ms", "200",
                    // the test's own topic is not in the suite's catalogue
                    "canary.kafka.topics.check-at-start", "false",
                    "canary.channels.watch-interval", "200ms");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(HeldDrain.class));
        }
    }

    /**
     * Two back ends behind a real HAProxy (backend {@code deaf}), a session held open on one of
     * them, and a request to drain it (deadline 20 s) waiting on the test's topic.
     */
    public static class HeldDrain implements QuarkusTestResourceLifecycleManager {
        static TestBackend one;
        static TestBackend two;
        static HaproxyServer haproxy;

        @Override
        public Map<String, String> start() {
            one = TestBackend.start("docker0");
            two = TestBackend.start("docker1");
            haproxy =
                    HaproxyServer.start(
                            HaproxyServer.Spec.backend("deaf")
                                    .routeHeader(LbInfraResource.ROUTE_HEADER)
                                    .server("docker0", "127.0.0.1", one.port())
                                    .server("docker1", "127.0.0.1", two.port()));
            String bootstrap = KafkaTestResource.bootstrapServers();
            // the test's own topic: lb-service reads it, deploy-service writes it
            KafkaTestResource.allow("lb-service", TOPIC, AclOperation.READ, AclOperation.DESCRIBE);
            KafkaTestResource.allow(
                    "deploy-service", TOPIC, AclOperation.WRITE, AclOperation.DESCRIBE);
            try (Admin admin =
                    Admin.create(KafkaTestResource.clientConfig(KafkaPrincipals.BROKER))) {
                if (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(TOPIC)) {
                    admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1)))
                            .all()
                            .get(10, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot create " + TOPIC, e);
            }
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .build()
                    .sendAsync(
                            HttpRequest.newBuilder(URI.create(haproxy.frontendUrl() + "/hold"))
                                    .header(LbInfraResource.ROUTE_HEADER, "docker1")
                                    .timeout(Duration.ofSeconds(60))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> two.holding() > 0);
            try (EventSender sender = new EventSender(bootstrap, "deploy-service")) {
                EventEnvelope<HostUpdateRequested> e =
                        EventEnvelope.of(
                                EventEnvelope.sourceOf("deploy-service"),
                                new HostUpdateRequested(
                                        java.util.UUID.randomUUID().toString(),
                                        "deaf-app",
                                        "docker1",
                                        Stage.CANARY,
                                        "sha256:" + "c".repeat(64)));
                CloudEventCodec.Encoded enc = CloudEventCodec.encode(e);
                sender.sendRaw(TOPIC, enc.key(), enc.value(), enc.headers());
            }
            return Map.of("canary.fleet.path", fleet(haproxy.unixRuntimeApi()).toString());
        }

        static Path fleet(String api) {
            TestFleet.Builder f =
                    TestFleet.builder()
                            .placeholders("tls/ca.pem", "tls/cert.pem", "tls/key.pem")
                            .registry("127.0.0.1:5000")
                            .dns("dns: {backend: hosts-file, hostsFile: /tmp/none}");
            for (int i = 0; i < 2; i++) {
                String address = "127.0.0.1" + (i + 1);
                f.host(
                        "docker" + i,
                        address,
                        null,
                        TestFleet.dockerApi(
                                "tcp://" + address + ":2376",
                                "tls/ca.pem",
                                "tls/cert.pem",
                                "tls/key.pem"));
            }
            return f.loadBalancer("a", api, null)
                    .app("deaf-app", "repository: proserveau/deaf-app, port: 3000, backend: deaf")
                    .rollout("canary: [docker1]\nminReady: 1\ndeadlines: {drain: 20s, enable: 5s}")
                    .write();
        }

        @Override
        public void stop() {
            two.release();
            haproxy.close();
            one.close();
            two.close();
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aChannelThatFailedEndsTheProcessWithAClearLogLine(QuarkusMainLauncher launcher)
            throws Exception {
        long start = System.nanoTime();

        LaunchResult result = launcher.launch();

        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // what the process wrote (its console log), as an operator reads it in its log file
        String output = result.getOutput() + "\n--- err:\n" + result.getErrorOutput();
        assertEquals(ChannelWatchdog.EXIT_CODE, result.exitCode(), output);
        assertTrue(output.contains("channel 'lb-in' failed and reads nothing any more"), output);
        assertTrue(output.contains("has waited for 1 seconds to be acknowledged"), output);
        assertTrue(output.contains("exiting with code 75"), output);
        // the failure ended it, not the held drain's 20 s deadline (the launch includes this
        // class loader's own TLS broker, its certificates and HAProxy, over 60 s on a loaded
        // 2-core machine): the log line above says which channel failed and why
        assertTrue(tookMs < 120_000, "took " + tookMs + " ms");
    }
}
