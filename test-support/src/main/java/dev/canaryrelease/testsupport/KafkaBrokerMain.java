package dev.canaryrelease.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;

/**
 * A persistent single-node KRaft broker for {@code dev/up} and end-to-end tests: {@code
 * KafkaBrokerMain <port> <controllerPort> <dataDir> <tlsDir>}. The data survives a restart (same
 * cluster id and log directory), so a broker restart loses nothing. It runs with mutual TLS and
 * ACLs, as the test broker does: the certificates are made (or kept) in {@code tlsDir} ({@link
 * KafkaTls}), and the ACLs of {@link dev.canaryrelease.events.acl.KafkaPrincipals} are set before
 * it says {@code kafka ready}.
 *
 * <p>With {@code -Dcanary.kafka.ready-file=<path>} it also writes that file once ready (and deletes
 * it at start): the compose suite's health check ({@code docker-compose.yml}) tests it.
 */
public final class KafkaBrokerMain {
    private KafkaBrokerMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: KafkaBrokerMain <port> <controllerPort> <dataDir> <tlsDir>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int controllerPort = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]).toAbsolutePath();
        Files.createDirectories(dir);
        String readyFile = System.getProperty("canary.kafka.ready-file", "");
        Path ready = readyFile.isBlank() ? null : Path.of(readyFile);
        if (ready != null) Files.deleteIfExists(ready);
        KafkaTls.cheapInMemoryKeyStores();
        KafkaTls tls = KafkaTls.create(Path.of(args[3]));
        EmbeddedKafkaBroker broker =
                new EmbeddedKafkaBroker()
                        .withKafkaHost("127.0.0.1")
                        .withKafkaPort(port)
                        .withControllerPort(controllerPort)
                        .withClusterId("canary-release-local-0001")
                        .withDeleteLogDirsOnClose(false)
                        .withAdditionalProperties(
                                p -> {
                                    p.put("log.dirs", dir.resolve("logs").toString());
                                    KafkaTestResource.singleNodeDefaults(p);
                                    tls.secureBroker(p);
                                })
                        .start();
        KafkaAcls.apply(broker.getAdvertisedListeners(), tls, java.time.Duration.ofSeconds(120));
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
}
