package dev.canaryrelease.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;

import dev.canaryrelease.events.acl.KafkaPrincipals;

/**
 * A real single-node KRaft Kafka broker on 127.0.0.1 for {@code @QuarkusTest}s (no Dev Services, no
 * Docker). One broker per test JVM, shared by every test class that names this resource.
 *
 * <p>It runs as {@code dev/up}'s does: mutual TLS only, the {@code StandardAuthorizer} with the
 * ACLs of {@link dev.canaryrelease.events.acl.KafkaPrincipals} ({@link KafkaTls}, {@link
 * KafkaAcls}). Each service's application reads its certificate from {@code
 * ${canary.kafka.tls-dir}/${canary.service.name}/}; this resource sets {@code canary.kafka.tls-dir}
 * to the test broker's folder, so a {@code @QuarkusTest} is its service's own principal. Test-side
 * clients get a principal's settings from {@link #clientConfig(String)}.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {
    /**
     * Partitions of every suite topic on the test broker ({@code canary.kafka.topics.partitions} of
     * every service under test, and {@link EventSender}'s topics): more than one, so every test
     * runs with an app's events spread over partitions as two instances of a service would share
     * them (issue 19), not on the one partition that hides an ordering across keys.
     */
    public static final int PARTITIONS = 6;

    private static EmbeddedKafkaBroker broker;
    private static KafkaTls tls;

    /** Starts the shared broker if needed and returns its bootstrap servers. */
    public static synchronized String bootstrapServers() {
        if (broker == null) {
            try {
                tls = KafkaTls.create(Files.createTempDirectory("kafka-tls-"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            EmbeddedKafkaBroker started =
                    new EmbeddedKafkaBroker()
                            .withKafkaHost("127.0.0.1")
                            .withDeleteLogDirsOnClose(true)
                            .withAdditionalProperties(
                                    p -> {
                                        singleNodeDefaults(p);
                                        tls.secureBroker(p);
                                    })
                            .start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "kafka-stop"));
            String bootstrap = started.getAdvertisedListeners();
            KafkaClients.register(bootstrap, tls);
            try {
                KafkaAcls.apply(bootstrap, tls, Duration.ofSeconds(60));
            } catch (RuntimeException e) {
                started.close(); // never a broker without its ACLs
                throw e;
            }
            broker = started;
        }
        return broker.getAdvertisedListeners();
    }

    /** Whether {@code bootstrap} is this JVM's test broker (started already). */
    public static synchronized boolean isTestBroker(String bootstrap) {
        return broker != null && broker.getAdvertisedListeners().equals(bootstrap);
    }

    /** The test broker's certificates. */
    public static synchronized KafkaTls tls() {
        bootstrapServers();
        return tls;
    }

    /**
     * Lets {@code principal} do {@code ops} on a test's own topic (one the suite's table does not
     * name), e.g. a service under test reading a topic no other test shares. The next broker start
     * removes it.
     */
    public static void allow(String principal, String topic, AclOperation... ops) {
        List<AclBinding> acls = new ArrayList<>();
        for (AclOperation op : ops) {
            acls.add(
                    new AclBinding(
                            new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                            new AccessControlEntry(
                                    "User:" + principal, "*", op, AclPermissionType.ALLOW)));
        }
        try (Admin admin = Admin.create(clientConfig(KafkaPrincipals.BROKER))) {
            admin.createAcls(acls).all().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot allow " + principal + " on " + topic, e);
        }
    }

    /** Bootstrap servers and mutual TLS as {@code principal}, for a plain Kafka client. */
    public static Map<String, Object> clientConfig(String principal) {
        return KafkaClients.config(bootstrapServers(), principal);
    }

    /**
     * Settings of a one-broker cluster: one partition per topic (a release's events stay in order),
     * no topic created on first use (every service creates and checks its own topics before its
     * channels start, so a topic the broker made with its defaults can never win that race),
     * replication factor 1 and one partition for the internal topics, no rebalance delay. Shared by
     * the test broker, {@link KafkaBrokerMain} (dev/up) and bench/kafka; a cluster's broker adds
     * {@link #clusterDefaults}.
     */
    public static void singleNodeDefaults(java.util.Properties p) {
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        // one partition each instead of 50: a broker's start (and a restart's log recovery) loads
        // every internal partition, and on one node more coordinators buy nothing
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.num.partitions", "1");
    }

    /**
     * Settings of one broker of a KRaft cluster of {@code brokers} (at least 3; {@link
     * KafkaBrokerMain} for {@code dev/up --brokers 3}): {@link #singleNodeDefaults}, with every
     * topic the broker makes itself (consumer offsets, transaction state) on three replicas of
     * which two must have a write ({@code acks=all}), as the suite's own topics are ({@code
     * canary.kafka.topics.replication-factor=3}, {@code min-insync-replicas=2}): one broker may die
     * and nothing acknowledged is lost, nothing stops. EmbeddedKafkaBroker's test values that a
     * cluster cannot keep are put back to Kafka's: replica and controller sockets time out after 30
     * s, not 1 s (a follower's fetch over TLS on a loaded machine takes longer), and the high
     * watermark is checkpointed every 5 s (never, in EmbeddedKafkaBroker: a restarted replica would
     * start from 0). A broker that stops heart-beating is fenced after 6 s (Kafka: 9 s): its
     * partitions' leadership moves and it leaves their ISR, which is how long writes wait when one
     * is killed.
     */
    public static void clusterDefaults(java.util.Properties p, int brokers) {
        if (brokers < 3) {
            throw new IllegalArgumentException(
                    "a cluster has at least 3 brokers (got "
                            + brokers
                            + "): with 2, one broker down stops the controller quorum and every"
                            + " write that needs 2 in-sync replicas");
        }
        singleNodeDefaults(p);
        p.put("default.replication.factor", "3");
        p.put("min.insync.replicas", "2");
        p.put("offsets.topic.replication.factor", "3");
        p.put("transaction.state.log.replication.factor", "3");
        p.put("transaction.state.log.min.isr", "2");
        p.put("replica.socket.timeout.ms", "30000");
        p.put("controller.socket.timeout.ms", "30000");
        p.put("replica.high.watermark.checkpoint.interval.ms", "5000");
        p.put("broker.heartbeat.interval.ms", "1000");
        p.put("broker.session.timeout.ms", "6000");
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> c = new HashMap<>();
        c.put("kafka.bootstrap.servers", bootstrapServers());
        c.put("canary.kafka.tls-dir", tls.dir().toString());
        c.put("canary.kafka.topics.partitions", Integer.toString(PARTITIONS));
        return c;
    }

    @Override
    public void stop() {
        // The broker outlives a test class: the next class reuses it; the JVM's exit stops it.
    }
}
