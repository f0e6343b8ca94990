package dev.canaryrelease.events.acl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.Topics;

/**
 * Who may do what on the broker: the one table of Kafka principals and their ACLs. A principal is
 * the CN of the client's TLS certificate ({@code User:<CN>}, see {@code
 * ssl.principal.mapping.rules} on the broker) and a service's CN is its {@code
 * canary.service.name}, which is also its CloudEvent source ({@code /canary-release/<service>}).
 *
 * <p>Each service may write (and create and configure) only its own topic and the dead-letter
 * topics of its incoming channels, as {@code EventType}'s writer table says; it may read (and
 * create, as {@code TopicsAtStart} does at start, and describe the configuration of) only the
 * topics it consumes; it may join only its own consumer groups. {@link #MONITOR} reads every topic
 * and writes none. {@link #BROKER} is the broker's own identity (inter-broker and controller
 * listeners), the only super user.
 */
public final class KafkaPrincipals {
    /** The broker's (and controller's) own principal: the one super user. */
    public static final String BROKER = "kafka-broker";

    /** A read-only principal for monitoring tools ({@code kcat}, the tests' event capture). */
    public static final String MONITOR = "monitor";

    /**
     * What one principal may do. A name ending in {@code *} is a prefix, {@code *} alone every
     * name; group names are always prefixes (a service's groups are named {@code <service>…}).
     */
    public record Grant(
            String principal,
            Set<String> writes,
            Set<String> reads,
            Set<String> groups,
            Set<String> transactionalIds) {
        public Grant {
            writes = Set.copyOf(writes);
            reads = Set.copyOf(reads);
            groups = Set.copyOf(groups);
            transactionalIds = Set.copyOf(transactionalIds);
        }

        /** A principal that writes no transaction. */
        public Grant(String principal, Set<String> writes, Set<String> reads, Set<String> groups) {
            this(principal, writes, reads, groups, Set.of());
        }

        /** {@code User:<principal>}. */
        public String user() {
            return "User:" + principal;
        }
    }

    private static final String ANY = ResourcePattern.WILDCARD_RESOURCE;

    /** The transactional id of deploy-service's snapshot writer. */
    public static final String DEPLOY_SNAPSHOTS_TRANSACTION = "deploy-service-snapshots";

    /** The transactional id of lb-service's snapshot writer. */
    public static final String LB_SNAPSHOTS_TRANSACTION = "lb-service-snapshots";

    /** Every principal of the suite but the broker, services first. */
    public static final List<Grant> GRANTS =
            List.of(
                    new Grant(
                            "gateway",
                            union(
                                    Set.of(Topics.GATEWAY, Topics.deadLetter("gateway-in")),
                                    // its read model's snapshots (compacted)
                                    Set.copyOf(Topics.GATEWAY_SNAPSHOTS)),
                            // the read model folds every topic and reads back its snapshots;
                            // GET /dead-letters reads every dead-letter topic
                            union(
                                    union(
                                            Set.copyOf(Topics.ALL),
                                            Set.copyOf(Topics.GATEWAY_SNAPSHOTS)),
                                    Set.of(Topics.deadLetter("*"))),
                            // gateway-in's group is gateway-<uuid>
                            Set.of("gateway-")),
                    new Grant(
                            "build-service",
                            Set.of(Topics.BUILD, Topics.deadLetter("build-in")),
                            Set.of(Topics.GATEWAY),
                            Set.of("build-service")),
                    new Grant(
                            "registry-service",
                            Set.of(Topics.REGISTRY, Topics.deadLetter("registry-in")),
                            Set.of(Topics.BUILD, Topics.DEPLOY),
                            Set.of("registry-service")),
                    new Grant(
                            "lb-service",
                            Set.of(
                                    Topics.LB,
                                    Topics.deadLetter("lb-in"),
                                    Topics.deadLetter("lb-state"),
                                    // its servers' wanted states (compacted)
                                    Topics.LB_SERVERS),
                            Set.of(Topics.DEPLOY, Topics.LB, Topics.LB_SERVERS),
                            // lb-in's lb-service, lb-state's lb-service-state-<uuid>
                            Set.of("lb-service"),
                            // each snapshot is one transaction (its servers and its positions)
                            Set.of(LB_SNAPSHOTS_TRANSACTION)),
                    new Grant(
                            "deploy-service",
                            Set.of(
                                    Topics.DEPLOY,
                                    Topics.deadLetter("deploy-in"),
                                    // its releases' snapshot (compacted)
                                    Topics.DEPLOY_RELEASES),
                            Set.of(
                                    Topics.GATEWAY,
                                    Topics.BUILD,
                                    Topics.REGISTRY,
                                    Topics.LB,
                                    Topics.DEPLOY,
                                    Topics.DEPLOY_RELEASES),
                            // deploy-in's deploy-service, the start-up replay's
                            // deploy-service-replay-<uuid>
                            Set.of("deploy-service"),
                            // each snapshot is one transaction (its releases and its state)
                            Set.of(DEPLOY_SNAPSHOTS_TRANSACTION)),
                    new Grant(
                            "dns-service",
                            Set.of(Topics.DNS, Topics.deadLetter("dns-in")),
                            Set.of(Topics.DEPLOY),
                            Set.of("dns-service")),
                    new Grant(MONITOR, Set.of(), Set.of(ANY), Set.of(MONITOR + "-")));

    private KafkaPrincipals() {}

    /** The grant of {@code principal}. */
    public static Optional<Grant> grant(String principal) {
        return GRANTS.stream().filter(g -> g.principal().equals(principal)).findFirst();
    }

    /**
     * The CloudEvent source of the one writer of {@code topic} ({@code /canary-release/<service>}),
     * empty for a topic the table does not name.
     */
    public static Optional<String> writerSource(String topic) {
        return GRANTS.stream()
                .filter(g -> g.writes().contains(topic))
                .findFirst()
                .map(g -> EventEnvelope.sourceOf(g.principal()));
    }

    /** The ACLs of {@link #GRANTS}, as the broker must hold them (and nothing else). */
    public static List<AclBinding> bindings() {
        List<AclBinding> out = new ArrayList<>();
        for (Grant g : GRANTS) {
            boolean producer = !g.writes().isEmpty();
            for (String t : g.writes()) {
                for (AclOperation op :
                        List.of(
                                AclOperation.WRITE,
                                AclOperation.DESCRIBE,
                                AclOperation.CREATE,
                                AclOperation.DESCRIBE_CONFIGS,
                                // TopicGuard sets a value the topic only inherited from the broker
                                AclOperation.ALTER_CONFIGS)) {
                    out.add(allow(g, topic(t), op));
                }
            }
            for (String t : g.reads()) {
                List<AclOperation> ops =
                        t.equals(ANY) || t.endsWith("*")
                                ? List.of(
                                        AclOperation.READ,
                                        AclOperation.DESCRIBE,
                                        AclOperation.DESCRIBE_CONFIGS)
                                // TopicsAtStart creates and checks what a service reads, too
                                : List.of(
                                        AclOperation.READ,
                                        AclOperation.DESCRIBE,
                                        AclOperation.CREATE,
                                        AclOperation.DESCRIBE_CONFIGS);
                for (AclOperation op : ops) {
                    out.add(allow(g, topic(t), op));
                }
            }
            for (String group : g.groups()) {
                out.add(allow(g, name(ResourceType.GROUP, group), AclOperation.READ));
            }
            for (String tx : g.transactionalIds()) {
                ResourcePattern id =
                        new ResourcePattern(ResourceType.TRANSACTIONAL_ID, tx, PatternType.LITERAL);
                out.add(allow(g, id, AclOperation.WRITE));
                out.add(allow(g, id, AclOperation.DESCRIBE));
            }
            if (producer) {
                // idempotent producers (enable.idempotence=true)
                out.add(
                        allow(
                                g,
                                new ResourcePattern(
                                        ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                                AclOperation.IDEMPOTENT_WRITE));
            }
        }
        return List.copyOf(new LinkedHashSet<>(out));
    }

    private static ResourcePattern topic(String name) {
        return name(ResourceType.TOPIC, name);
    }

    /** A literal name, the wildcard {@code *}, or a prefix ({@code …-} or {@code …*}). */
    private static ResourcePattern name(ResourceType type, String name) {
        if (name.equals(ANY)) return new ResourcePattern(type, ANY, PatternType.LITERAL);
        if (name.endsWith("*")) {
            return new ResourcePattern(
                    type, name.substring(0, name.length() - 1), PatternType.PREFIXED);
        }
        if (type == ResourceType.GROUP)
            return new ResourcePattern(type, name, PatternType.PREFIXED);
        return new ResourcePattern(type, name, PatternType.LITERAL);
    }

    private static AclBinding allow(Grant g, ResourcePattern p, AclOperation op) {
        return new AclBinding(
                p, new AccessControlEntry(g.user(), "*", op, AclPermissionType.ALLOW));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> s = new LinkedHashSet<>(a);
        s.addAll(b);
        return s;
    }
}
