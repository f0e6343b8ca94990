package dev.canaryrelease.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;

import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;

import dev.canaryrelease.events.acl.KafkaPrincipals;

/**
 * A persistent KRaft broker for {@code dev/up} and end-to-end tests: {@code KafkaBrokerMain <port>
 * <controllerPort> <dataDir> <tlsDir>} for a single node, {@code ... <nodeId> <voters>} for one
 * broker of a cluster ({@code voters}: every node's controller, {@code
 * 1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097}; each node is broker and controller). The
 * data survives a restart (same cluster id and log directory), so a broker restart loses nothing.
 * It runs with mutual TLS and ACLs, as the test broker does: the certificates are made (or kept) in
 * {@code tlsDir} ({@link KafkaTls}; the brokers of a cluster share it), and the ACLs of {@link
 * dev.canaryrelease.events.acl.KafkaPrincipals} are set before it says {@code kafka ready}. A
 * cluster's broker says it once the cluster also counts it among its live brokers.
 *
 * <p>With {@code -Dcanary.kafka.ready-file=<path>} it also writes that file once ready (and deletes
 * it at start): the compose suite's health check ({@code docker-compose.yml}) tests it.
 */
public final class KafkaBrokerMain {
    /** The single node's cluster id (the data of dev/up's one broker carries it). */
    static final String SINGLE_NODE_CLUSTER_ID = "canary-release-local-0001";

    /** The cluster's id: another cluster than the single node's, with data of its own. */
    static final String CLUSTER_ID = "canary-release-cluster-01";

    private KafkaBrokerMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4 && args.length != 6) {
            System.err.println(
                    "usage: KafkaBrokerMain <port> <controllerPort> <dataDir> <tlsDir> [<nodeId>"
                            + " <voters: id@host:controllerPort,...>]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int controllerPort = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]).toAbsolutePath();
        int nodeId = args.length == 6 ? Integer.parseInt(args[4]) : 1;
        String voters = args.length == 6 ? args[5] : null;
        int brokers = voters == null ? 1 : voters.split(",").length;
        if (voters != null && !voters.contains(nodeId + "@127.0.0.1:" + controllerPort)) {
            System.err.println(
                    "node "
                            + nodeId
                            + " with controller port "
                            + controllerPort
                            + " is not among the voters "
                            + voters);
            System.exit(2);
        }
        Files.createDirectories(dir);
        String readyFile = System.getProperty("canary.kafka.ready-file", "");
        Path ready = readyFile.isBlank() ? null : Path.of(readyFile);
        if (ready != null) Files.deleteIfExists(ready);
        KafkaTls.cheapInMemoryKeyStores();
        KafkaTls tls = KafkaTls.create(Path.of(args[3]));
        EmbeddedKafkaBroker broker =
                new EmbeddedKafkaBroker()
                        .withNodeId(nodeId)
                        .withKafkaHost("127.0.0.1")
                        .withKafkaPort(port)
                        .withControllerPort(controllerPort)
                        .withClusterId(voters == null ? SINGLE_NODE_CLUSTER_ID : CLUSTER_ID)
                        .withDeleteLogDirsOnClose(false)
                        .withAdditionalProperties(
                                p -> {
                                    p.put("log.dirs", dir.resolve("logs").toString());
                                    if (voters == null) {
                                        KafkaTestResource.singleNodeDefaults(p);
                                    } else {
                                        KafkaTestResource.clusterDefaults(p, brokers);
                                        p.put("controller.quorum.voters", voters);
                                    }
                                    tls.secureBroker(p);
                                })
                        .start();
        Duration timeout = Duration.ofSeconds(120);
        KafkaAcls.apply(broker.getAdvertisedListeners(), tls, timeout);
        if (voters != null) awaitLive(broker.getAdvertisedListeners(), tls, nodeId, timeout);
        System.out.println("kafka ready on " + broker.getAdvertisedListeners());
        if (ready != null) Files.writeString(ready, broker.getAdvertisedListeners() + "\n");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    broker.close();
                                    stop.countDown();
                                }));
        stop.await();
    }

    /**
     * Waits until the cluster's metadata names broker {@code nodeId}: it registered with the
     * controller quorum and is not fenced, so it can lead and follow partitions.
     */
    private static void awaitLive(String bootstrap, KafkaTls tls, int nodeId, Duration timeout)
            throws InterruptedException {
        Map<String, Object> c = new HashMap<>(tls.client(KafkaPrincipals.BROKER));
        c.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000);
        c.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000);
        long deadline = System.nanoTime() + timeout.toNanos();
        String seen = "nothing";
        try (Admin admin = Admin.create(c)) {
            while (System.nanoTime() < deadline) {
                try {
                    var nodes = admin.describeCluster().nodes().get(15, TimeUnit.SECONDS);
                    if (nodes.stream().anyMatch(n -> n.id() == nodeId)) return;
                    seen = "brokers " + nodes.stream().map(Node::id).sorted().toList();
                } catch (java.util.concurrent.ExecutionException
                        | java.util.concurrent.TimeoutException e) {
                    seen = e.toString();
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException(
                "broker " + nodeId + " is not among the cluster's live brokers: " + seen);
    }
}
