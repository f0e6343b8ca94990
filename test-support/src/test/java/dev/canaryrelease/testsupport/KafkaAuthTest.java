package dev.canaryrelease.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;

/**
 * The test broker (as dev/up's) authenticates every client by its TLS certificate and lets each
 * principal do only what {@link KafkaPrincipals} says. What an attacker gets back is asserted: the
 * broker's refusal.
 */
class KafkaAuthTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @BeforeAll
    static void topics() {
        new TopicGuard(
                        KafkaTestResource.clientConfig(KafkaPrincipals.BROKER),
                        new TopicCatalogue(EventSender.SingleBrokerTopics.INSTANCE),
                        WAIT)
                .ensure(Topics.ALL);
    }

    private static KafkaProducer<String, String> producer(Map<String, Object> config) {
        Map<String, Object> c = new HashMap<>(config);
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
        c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5000);
        c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4000);
        return new KafkaProducer<>(c, new StringSerializer(), new StringSerializer());
    }

    /**
     * What a refused producer gets back. The refusal comes either from the send's future or, when
     * the producer already knows it is refused (its metadata or its producer id was denied
     * earlier), thrown by {@code send} itself; both are the broker's answer.
     */
    private static Throwable sendFails(Map<String, Object> config, String topic) {
        try (KafkaProducer<String, String> p = producer(config)) {
            java.util.concurrent.Future<?> sent;
            try {
                sent = p.send(new ProducerRecord<>(topic, "k", "forged"));
            } catch (org.apache.kafka.common.KafkaException e) {
                return refusal(e);
            }
            ExecutionException e =
                    assertThrows(ExecutionException.class, () -> sent.get(20, TimeUnit.SECONDS));
            return refusal(e.getCause());
        } catch (org.apache.kafka.common.KafkaException e) {
            return refusal(e); // thrown by the constructor or close
        }
    }

    /** The broker's refusal in a cause chain (the producer wraps it when it rethrows), or e. */
    private static Throwable refusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AuthorizationException || t instanceof SslAuthenticationException) {
                return t;
            }
        }
        return e;
    }

    private static void send(String principal, String topic, String value) throws Exception {
        try (KafkaProducer<String, String> p =
                producer(KafkaTestResource.clientConfig(principal))) {
            p.send(new ProducerRecord<>(topic, "k", value)).get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void theGatewaysPrincipalCannotProduceToDeployEvents() {
        Throwable refused = sendFails(KafkaTestResource.clientConfig("gateway"), Topics.DEPLOY);

        assertInstanceOf(TopicAuthorizationException.class, refused, String.valueOf(refused));
        assertTrue(
                ((TopicAuthorizationException) refused)
                        .unauthorizedTopics()
                        .contains(Topics.DEPLOY),
                refused.toString());
    }

    @Test
    void eachServiceWritesOnlyItsOwnTopic() throws Exception {
        for (KafkaPrincipals.Grant g : KafkaPrincipals.GRANTS) {
            for (String topic : Topics.ALL) {
                boolean own = g.writes().contains(topic);
                if (own) {
                    send(g.principal(), topic, "ok");
                } else {
                    // the monitor, with no right to write anything, is refused even its
                    // producer id (ClusterAuthorizationException)
                    assertInstanceOf(
                            AuthorizationException.class,
                            sendFails(KafkaTestResource.clientConfig(g.principal()), topic),
                            g.principal() + " on " + topic);
                }
            }
        }
    }

    @Test
    void aClientWithoutACertificateIsRefused() {
        Map<String, Object> anonymous = new HashMap<>(KafkaTestResource.tls().trustOnly());
        anonymous.put(
                CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());

        Throwable refused = sendFails(anonymous, Topics.GATEWAY);

        assertInstanceOf(SslAuthenticationException.class, refused, String.valueOf(refused));
    }

    @Test
    void aPlaintextClientGetsNothing() {
        Map<String, Object> plain =
                Map.of(
                        CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                        KafkaTestResource.bootstrapServers(),
                        CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG,
                        3000,
                        CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        5000);
        try (Admin admin = Admin.create(plain)) {
            ExecutionException e =
                    assertThrows(
                            ExecutionException.class,
                            () -> admin.listTopics().names().get(20, TimeUnit.SECONDS));
            // no PLAINTEXT listener: the TLS port never answers a plaintext request
            assertInstanceOf(
                    org.apache.kafka.common.errors.TimeoutException.class,
                    e.getCause(),
                    e.toString());
        }
    }

    @Test
    void aCertificateOfAnotherCaIsRefused() throws Exception {
        KafkaTls other = KafkaTls.create(java.nio.file.Files.createTempDirectory("other-ca-"));
        Map<String, Object> c = new HashMap<>(other.client("deploy-service"));
        // it trusts the real broker, but its own certificate is from the other CA
        c.putAll(KafkaTestResource.tls().trustOnly());
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());

        Throwable refused = sendFails(c, Topics.DEPLOY);

        assertInstanceOf(SslAuthenticationException.class, refused, String.valueOf(refused));
    }

    @Test
    void theMonitorReadsEveryTopicButWritesNone() throws Exception {
        String value = "read-by-monitor-" + UUID.randomUUID();
        send("deploy-service", Topics.DEPLOY, value);

        Map<String, Object> c = new HashMap<>(KafkaTestResource.clientConfig("monitor"));
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            // every partition: the record's key puts it on one of the topic's partitions
            List<TopicPartition> parts = new java.util.ArrayList<>();
            for (String t : Topics.ALL) {
                consumer.partitionsFor(t)
                        .forEach(p -> parts.add(new TopicPartition(t, p.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            boolean seen = false;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!seen && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen |= r.value().equals(value);
                }
            }
            assertTrue(seen, "the monitor read deploy.events");
        }
        for (String topic : Topics.ALL) {
            assertInstanceOf(
                    AuthorizationException.class,
                    sendFails(KafkaTestResource.clientConfig("monitor"), topic),
                    topic);
            // and without idempotence (no producer id to ask for), the topic itself is refused
            Map<String, Object> plain = new HashMap<>(KafkaTestResource.clientConfig("monitor"));
            plain.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
            plain.put(ProducerConfig.ACKS_CONFIG, "1");
            assertInstanceOf(TopicAuthorizationException.class, sendFails(plain, topic), topic);
        }
    }

    @Test
    void aServiceCannotReadATopicItDoesNotConsumeNorJoinAnotherServicesGroup() {
        // dns-service consumes deploy.events only
        Map<String, Object> c = new HashMap<>(KafkaTestResource.clientConfig("dns-service"));
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "dns-service");
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.GATEWAY));
            assertThrows(
                    TopicAuthorizationException.class,
                    () -> {
                        for (int i = 0; i < 50; i++) consumer.poll(Duration.ofMillis(200));
                    });
        }
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "deploy-service");
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.DEPLOY));
            assertThrows(
                    GroupAuthorizationException.class,
                    () -> {
                        for (int i = 0; i < 50; i++) consumer.poll(Duration.ofMillis(200));
                    });
        }
    }

    @Test
    void theAclTableIsWhatTheBrokerHolds() throws Exception {
        try (Admin admin = Admin.create(KafkaTestResource.clientConfig(KafkaPrincipals.BROKER))) {
            var held =
                    new java.util.HashSet<>(
                            admin.describeAcls(org.apache.kafka.common.acl.AclBindingFilter.ANY)
                                    .values()
                                    .get(20, TimeUnit.SECONDS));
            assertEquals(new java.util.HashSet<>(KafkaPrincipals.bindings()), held);
        }
    }
}
