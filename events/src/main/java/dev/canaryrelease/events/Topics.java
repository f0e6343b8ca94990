package dev.canaryrelease.events;

import java.util.List;

/** Kafka topic names. One writer per topic: {@code <service>.events}. */
public final class Topics {
    public static final String GATEWAY = "gateway.events";
    public static final String BUILD = "build.events";
    public static final String REGISTRY = "registry.events";
    public static final String LB = "lb.events";
    public static final String DEPLOY = "deploy.events";
    public static final String DNS = "dns.events";

    /** Every topic of the suite, in the order of the release chain. */
    public static final List<String> ALL = List.of(GATEWAY, BUILD, REGISTRY, LB, DEPLOY, DNS);

    /** The SmallRye convention for a channel's dead-letter topic. */
    public static String deadLetter(String channel) {
        return "dead-letter-topic-" + channel;
    }

    private Topics() {}
}
