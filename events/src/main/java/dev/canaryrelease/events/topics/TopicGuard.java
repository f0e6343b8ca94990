package dev.canaryrelease.events.topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.jboss.logging.Logger;

/**
 * The one wrapper around Kafka's {@link Admin} client for the suite's topics: creates the missing
 * ones with the settings of {@link TopicCatalogue}, checks the existing ones, and refuses (throws
 * {@link TopicMismatchException}) when one is configured differently. Waits for a broker that is
 * not up yet, up to {@code startTimeout}.
 */
public class TopicGuard {
    private static final Logger LOG = Logger.getLogger(TopicGuard.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    private final Map<String, Object> adminConfig;
    private final TopicCatalogue catalogue;
    private final Duration startTimeout;

    /**
     * @param kafkaConfig the client settings (bootstrap servers, security); keys Admin does not
     *     know are left out
     */
    public TopicGuard(
            Map<String, Object> kafkaConfig, TopicCatalogue catalogue, Duration startTimeout) {
        Map<String, Object> c = new HashMap<>();
        Set<String> known = AdminClientConfig.configNames();
        kafkaConfig.forEach(
                (k, v) -> {
                    if (known.contains(k)) c.put(k, v);
                });
        c.put(AdminClientConfig.CLIENT_ID_CONFIG, "canary-topic-guard");
        c.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT.toMillis());
        c.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT.toMillis());
        this.adminConfig = Map.copyOf(c);
        this.catalogue = catalogue;
        this.startTimeout = startTimeout;
    }

    /**
     * Creates the missing topics, checks every one, and sets configs only inherited from the
     * broker's defaults where they are less safe than wanted.
     *
     * @return the topics this call created
     * @throws TopicMismatchException when a topic is configured differently
     * @throws IllegalStateException when the broker did not answer in time or refused a creation
     */
    public List<String> ensure(Collection<String> topicNames) {
        Set<String> topics = new TreeSet<>(topicNames);
        Map<String, TopicSpec> wanted = new HashMap<>();
        topics.forEach(t -> wanted.put(t, catalogue.wanted(t)));
        long deadline = System.nanoTime() + startTimeout.toNanos();
        Duration pause = Duration.ofMillis(200);
        Exception last = null;
        List<String> created = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            try (Admin admin = Admin.create(adminConfig)) {
                created.addAll(createMissing(admin, topics, wanted));
                check(admin, topics, wanted);
                return created;
            } catch (TopicMismatchException e) {
                throw e;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw new IllegalStateException(
                            "cannot create or describe topics " + topics + ": " + e.getCause(),
                            e.getCause());
                }
                last = e;
            } catch (org.apache.kafka.common.KafkaException
                    | java.util.concurrent.TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while checking topics " + topics, e);
            }
            LOG.infof("waiting for Kafka to check topics %s: %s", topics, last);
            sleep(pause);
            pause =
                    pause.multipliedBy(2).compareTo(Duration.ofSeconds(3)) > 0
                            ? Duration.ofSeconds(3)
                            : pause.multipliedBy(2);
        }
        throw new IllegalStateException(
                "Kafka at "
                        + adminConfig.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
                        + " did not answer within "
                        + startTimeout
                        + " (canary.kafka.topics.start-timeout), so topics "
                        + topics
                        + " could not be checked: "
                        + last,
                last);
    }

    private List<String> createMissing(
            Admin admin, Set<String> topics, Map<String, TopicSpec> wanted)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        Set<String> existing = get(admin.listTopics().names());
        List<NewTopic> missing = new ArrayList<>();
        for (String t : topics) {
            if (existing.contains(t)) continue;
            TopicSpec s = wanted.get(t);
            missing.add(
                    new NewTopic(t, s.partitions(), s.replicationFactor()).configs(s.configs()));
        }
        if (missing.isEmpty()) return List.of();
        List<String> created = new ArrayList<>();
        Map<String, KafkaFuture<Void>> results = admin.createTopics(missing).values();
        for (NewTopic n : missing) {
            try {
                get(results.get(n.name()));
                created.add(n.name());
                LOG.infof(
                        "created topic %s: %d partition(s), replication factor %d, %s",
                        n.name(), n.numPartitions(), n.replicationFactor(), n.configs());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    continue; // another service created it at the same moment: checked below
                }
                if (e.getCause() instanceof RetriableException) throw e;
                throw new IllegalStateException(
                        "cannot create topic '"
                                + n.name()
                                + "' with "
                                + n.numPartitions()
                                + " partition(s), replication factor "
                                + n.replicationFactor()
                                + " and "
                                + n.configs()
                                + ": "
                                + e.getCause().getMessage()
                                + " (canary.kafka.topics.*)",
                        e.getCause());
            }
        }
        return created;
    }

    private void check(Admin admin, Set<String> topics, Map<String, TopicSpec> wanted)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        Map<String, TopicDescription> described = get(admin.describeTopics(topics).allTopicNames());
        List<ConfigResource> resources =
                topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        Map<ConfigResource, Config> configs = get(admin.describeConfigs(resources).all());
        List<TopicCatalogue.Mismatch> bad = new ArrayList<>();
        Map<ConfigResource, Collection<AlterConfigOp>> adopt = new HashMap<>();
        for (String t : topics) {
            TopicDescription d = described.get(t);
            int rf = d.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
            Map<String, TopicCatalogue.Setting> settings = new HashMap<>();
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, t);
            for (ConfigEntry e : configs.get(r).entries()) {
                settings.put(
                        e.name(),
                        new TopicCatalogue.Setting(
                                e.value(),
                                e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG));
            }
            TopicCatalogue.Comparison c =
                    TopicCatalogue.compare(
                            wanted.get(t),
                            new TopicCatalogue.Observed(t, d.partitions().size(), rf, settings));
            bad.addAll(c.mismatches());
            if (!c.adopt().isEmpty()) {
                List<AlterConfigOp> ops = new ArrayList<>();
                c.adopt()
                        .forEach(
                                (k, v) ->
                                        ops.add(
                                                new AlterConfigOp(
                                                        new ConfigEntry(k, v),
                                                        AlterConfigOp.OpType.SET)));
                adopt.put(r, ops);
            }
        }
        if (!bad.isEmpty()) {
            throw new TopicMismatchException(bad);
        }
        if (!adopt.isEmpty()) {
            get(admin.incrementalAlterConfigs(adopt).all());
            adopt.forEach(
                    (r, ops) ->
                            LOG.warnf(
                                    "topic %s only had the broker's defaults for %s: set them"
                                            + " on the topic",
                                    r.name(),
                                    ops.stream()
                                            .map(
                                                    o ->
                                                            o.configEntry().name()
                                                                    + "="
                                                                    + o.configEntry().value())
                                            .toList()));
        }
        LOG.infof("topics %s checked", topics);
    }

    private static <T> T get(KafkaFuture<T> f)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        return f.get(CALL_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka", e);
        }
    }
}
