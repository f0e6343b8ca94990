package dev.canaryrelease.events;

import java.util.List;

/** Kafka topic names. One writer per topic: {@code <service>.events}. */
public final class Topics {
    public static final String GATEWAY = "gateway.events";

    /**
     * The gateway's release index (compacted, written only by the gateway): one record per release
     * ({@code release:<id>}: its summary with the delivery that started it), one per app ({@code
     * hosts:<app>}: each host's digests and LB state) and {@code checkpoint} (the offset of every
     * {@code *.events} partition the other records cover), and the directory of {@link
     * #GATEWAY_RELEASE_PAGES} ({@code pages:<chain>}, {@code buckets}). Read whole at every start:
     * only the releases in the gateway's memory have a {@code release:<id>}.
     */
    public static final String GATEWAY_RELEASES = "gateway.releases";

    /**
     * The gateway's release details (compacted, written only by the gateway): one record per
     * release id, its audit trail and timeline; read one record at a time, by offset.
     */
    public static final String GATEWAY_RELEASE_DETAILS = "gateway.release-details";

    /**
     * The gateway's settled releases that left its memory, a page at a time ({@code
     * page:<seq>:<chain>}) and by id bucket ({@code bucket:<n>}); compacted, written by the gateway
     * alone, read one record at a time by offset (the directory is in {@link #GATEWAY_RELEASES}).
     */
    public static final String GATEWAY_RELEASE_PAGES = "gateway.release-pages";

    /**
     * deploy-service's snapshot (compacted, written only by deploy-service): one record per release
     * ({@code release:<id>}: its phase, hosts with their previous digests, reason and audit) and
     * {@code state} (the offset of every replayed partition the releases cover, and what was
     * decided but not yet done there). Written in one transaction per snapshot; read whole at every
     * start.
     */
    public static final String DEPLOY_RELEASES = "deploy.releases";

    /**
     * lb-service's snapshot (compacted, written only by lb-service): one record per server ({@code
     * server:<backend>/<server>}: the admin state its events last wanted and deploy-service's
     * requests still unanswered there) and {@code positions} (the next offset of every {@code
     * lb.events} and {@code deploy.events} partition the servers cover). Written in one transaction
     * per snapshot; read whole at every start.
     */
    public static final String LB_SERVERS = "lb.servers";

    public static final String BUILD = "build.events";
    public static final String REGISTRY = "registry.events";
    public static final String LB = "lb.events";
    public static final String DEPLOY = "deploy.events";
    public static final String DNS = "dns.events";

    /** Every topic of the suite, in the order of the release chain. */
    public static final List<String> ALL = List.of(GATEWAY, BUILD, REGISTRY, LB, DEPLOY, DNS);

    /** The gateway's snapshot topics. */
    public static final List<String> GATEWAY_SNAPSHOTS =
            List.of(GATEWAY_RELEASES, GATEWAY_RELEASE_DETAILS, GATEWAY_RELEASE_PAGES);

    /**
     * The compacted snapshot topics (state that outlives the event topics' retention), each with
     * its one writer: the gateway writes {@link #GATEWAY_SNAPSHOTS}, deploy-service {@link
     * #DEPLOY_RELEASES}, lb-service {@link #LB_SERVERS}.
     */
    public static final List<String> SNAPSHOTS =
            List.of(
                    GATEWAY_RELEASES,
                    GATEWAY_RELEASE_DETAILS,
                    GATEWAY_RELEASE_PAGES,
                    DEPLOY_RELEASES,
                    LB_SERVERS);

    /** The SmallRye convention for a channel's dead-letter topic. */
    public static String deadLetter(String channel) {
        return "dead-letter-topic-" + channel;
    }

    private Topics() {}
}
