package dev.canaryrelease.events;

import java.util.List;

/** Kafka topic names. One writer per topic: {@code <service>.events}. */
public final class Topics {
    public static final String GATEWAY = "gateway.events";

    /**
     * The gateway's release index (compacted, written only by the gateway): one record per release
     * ({@code release:<id>}: its summary with the delivery that started it), one per app ({@code
     * hosts:<app>}: each host's digests and LB state) and {@code checkpoint} (the offset of every
     * {@code *.events} partition the other records cover). Read whole at every start.
     */
    public static final String GATEWAY_RELEASES = "gateway.releases";

    /**
     * The gateway's release details (compacted, written only by the gateway): one record per
     * release id, its audit trail and timeline; read one record at a time, by offset.
     */
    public static final String GATEWAY_RELEASE_DETAILS = "gateway.release-details";

    public static final String BUILD = "build.events";
    public static final String REGISTRY = "registry.events";
    public static final String LB = "lb.events";
    public static final String DEPLOY = "deploy.events";
    public static final String DNS = "dns.events";

    /** Every topic of the suite, in the order of the release chain. */
    public static final List<String> ALL = List.of(GATEWAY, BUILD, REGISTRY, LB, DEPLOY, DNS);

    /**
     * The compacted snapshot topics (state that outlives the event topics' retention), each with
     * its one writer: the gateway writes {@link #GATEWAY_RELEASES} and {@link
     * #GATEWAY_RELEASE_DETAILS}.
     */
    public static final List<String> SNAPSHOTS = List.of(GATEWAY_RELEASES, GATEWAY_RELEASE_DETAILS);

    /** The SmallRye convention for a channel's dead-letter topic. */
    public static String deadLetter(String channel) {
        return "dead-letter-topic-" + channel;
    }

    private Topics() {}
}
