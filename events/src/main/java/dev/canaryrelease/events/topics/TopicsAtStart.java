package dev.canaryrelease.events.topics;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.canaryrelease.events.Topics;

/**
 * Creates (if missing) and checks, before any channel starts, every topic this service writes or
 * reads: the topics of its Kafka channels ({@code mp.messaging.*}) and the dead-letter topic of
 * each incoming channel with {@code failure-strategy=dead-letter-queue}. A topic configured
 * differently stops the start (see {@link TopicMismatchException}).
 *
 * <p>Runs at priority {@value #PRIORITY}: Quarkus starts SmallRye Reactive Messaging's channels
 * (consumers subscribe, emitters connect) in a {@link StartupEvent} observer of priority 1000
 * ({@code Interceptor.Priority.LIBRARY_BEFORE}), after this one; the broker does not create topics
 * by itself ({@code auto.create.topics.enable=false}), and consumers do not ask it to ({@code
 * allow.auto.create.topics=false}).
 */
@ApplicationScoped
public class TopicsAtStart {
    /** Before SmallRye Reactive Messaging's start (1000), after the fleet's check (0). */
    public static final int PRIORITY = 900;

    private static final Logger LOG = Logger.getLogger(TopicsAtStart.class);
    private static final Pattern CHANNEL_KEY =
            Pattern.compile("mp\\.messaging\\.(incoming|outgoing)\\.([^.]+)\\.connector");

    private final TopicsConfig config;
    private final Map<String, Object> kafka;
    private final Config mp;

    public TopicsAtStart(
            TopicsConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafka,
            Config mp) {
        this.config = config;
        this.kafka = kafka;
        this.mp = mp;
    }

    void onStart(@Observes @Priority(PRIORITY) StartupEvent event) {
        if (!config.checkAtStart()) {
            LOG.warn(
                    "canary.kafka.topics.check-at-start=false: topics are neither created nor checked");
            return;
        }
        Set<String> topics = channelTopics(mp);
        new TopicGuard(kafka, new TopicCatalogue(config), config.startTimeout()).ensure(topics);
    }

    /**
     * The topics of every {@code smallrye-kafka} channel in {@code config}, dead letters included.
     */
    public static Set<String> channelTopics(Config config) {
        Set<String> topics = new TreeSet<>();
        for (String name : config.getPropertyNames()) {
            Matcher m = CHANNEL_KEY.matcher(name);
            if (!m.matches()
                    || !config.getOptionalValue(name, String.class)
                            .orElse("")
                            .equals("smallrye-kafka")) {
                continue;
            }
            boolean incoming = m.group(1).equals("incoming");
            String channel = m.group(2);
            String prefix = "mp.messaging." + m.group(1) + "." + channel + ".";
            if (incoming) {
                if (value(config, prefix + "pattern").map(Boolean::parseBoolean).orElse(false)) {
                    throw new IllegalStateException(
                            "channel "
                                    + channel
                                    + " subscribes to a pattern: its topics cannot be checked");
                }
                Optional<String> list = value(config, prefix + "topics");
                if (list.isPresent()) {
                    Arrays.stream(list.get().split(","))
                            .map(String::trim)
                            .filter(s -> !s.isEmpty())
                            .forEach(topics::add);
                } else {
                    topics.add(value(config, prefix + "topic").orElse(channel));
                }
                if (value(config, prefix + "failure-strategy")
                        .orElse("fail")
                        .equals("dead-letter-queue")) {
                    topics.add(
                            value(config, prefix + "dead-letter-queue.topic")
                                    .orElse(Topics.deadLetter(channel)));
                }
            } else {
                topics.add(value(config, prefix + "topic").orElse(channel));
            }
        }
        return topics;
    }

    private static Optional<String> value(Config config, String key) {
        return config.getOptionalValue(key, String.class).map(String::trim);
    }
}
