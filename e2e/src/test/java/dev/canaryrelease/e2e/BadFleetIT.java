package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.canaryrelease.testsupport.TestFleet;

/** A service started from its jar on a bad fleet file stops at once and names the field. */
class BadFleetIT {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "gateway|canary: [docker0]|canary: [docker7]|rollout.canary[0]: unknown host 'docker7'",
                "deploy-service|port: 3000}|port: 3000}\\n  - {name: b, repository: o/b, port: 3000}|apps[1](b).port: port 3000 is already used by app 'example'",
                "lb-service|canary: [docker0]|canary: [docker0]\\n  batchSize: 0|rollout.batchSize: 0 is out of range",
                "dns-service|tls: {ca: tls/ca.pem,|tls: {ca: tls/nope.pem,|docker.tls.ca: file",
                "build-service|domain: proserveau.local|domain: proserveau.local\\nregistyr: typo|registyr: unknown field",
                "registry-service|canary: [docker0]|canary: [docker0]\\n  deadlines: {drain: forever}|rollout.deadlines.drain: 'forever' is not a duration",
            })
    void serviceStopsAtStartNamingTheField(String service, String from, String to, String expected)
            throws Exception {
        Path fleet = TestFleet.write("");
        String yaml = Files.readString(fleet);
        assertTrue(yaml.contains(from), "test fleet contains " + from);
        Files.writeString(
                fleet,
                yaml.replaceFirst(java.util.regex.Pattern.quote(from), to.replace("\\n", "\n")));
        String out = stopsAtStart(service, fleet);
        assertTrue(
                out.contains(expected),
                service + " output names the field (" + expected + "):\n" + out);
        assertTrue(out.contains(fleet.toString()), "names the file:\n" + out);
    }

    /**
     * The gateway is the front door: bound to every address with plain HTTP, it does not start, and
     * says which keys to set (HTTPS, or a TLS proxy).
     */
    @org.junit.jupiter.api.Test
    void theGatewayRefusesPlainHttpOffLoopback() throws Exception {
        Path fleet = TestFleet.write("");

        String out = stopsAtStart("gateway", fleet, "-Dquarkus.http.host=0.0.0.0");

        assertTrue(
                out.contains(
                        "the gateway binds 0.0.0.0 and would answer plain HTTP there (webhooks and"
                                + " operators' tokens in clear): serve HTTPS with"
                                + " quarkus.http.ssl.certificate.files"),
                out);
    }

    /** Starts {@code service} from its jar on {@code fleet}; asserts it stops, not with 0. */
    private static String stopsAtStart(String service, Path fleet, String... options)
            throws Exception {
        Path root = Path.of(System.getProperty("canary.root", "..")).toAbsolutePath();
        Path jar = root.resolve(service + "/target/quarkus-app/quarkus-run.jar");
        assertTrue(Files.exists(jar), jar + " is built before the e2e module");
        Path log = Files.createTempFile("bad-fleet", ".log");
        Path secret =
                Files.writeString(
                        fleet.getParent().resolve("secret"),
                        "webhook-secret-0123456789abcdef0123456789\n");
        Path tokens =
                Files.writeString(
                        fleet.getParent().resolve("tokens"),
                        "operator ops operator-token-0123456789abcdef\n");
        java.util.List<String> command =
                new java.util.ArrayList<>(java.util.List.of("java", "-Dquarkus.http.port=0"));
        command.addAll(java.util.List.of(options));
        command.addAll(java.util.List.of("-jar", jar.toString()));
        ProcessBuilder pb =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .directory(fleet.getParent().toFile());
        pb.environment().put("CANARY_FLEET", fleet.toString());
        pb.environment().put("KAFKA_BOOTSTRAP", "127.0.0.1:1");
        pb.environment().put("CANARY_DATA_DIR", fleet.getParent().resolve("data").toString());
        pb.environment().put("CANARY_GATEWAY_WEBHOOK_SECRET_FILE", secret.toString());
        pb.environment().put("CANARY_GATEWAY_TOKENS_FILE", tokens.toString());
        pb.environment().put("CANARY_API_TOKENS_FILE", tokens.toString());
        pb.environment().put("CANARY_REGISTRY_NOTIFICATION_TOKEN_FILE", secret.toString());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), service + " did not stop on a bad fleet file");
        String out = Files.readString(log);
        assertNotEquals(0, p.exitValue(), out);
        return out;
    }
}
