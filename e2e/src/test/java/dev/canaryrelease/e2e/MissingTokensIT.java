package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.canaryrelease.testsupport.TestFleet;

/**
 * A service started from its jar without its API tokens file, or with a bad one, stops at once and
 * says what is missing or which line is wrong (never a token).
 */
class MissingTokensIT {

    @ParameterizedTest
    @CsvSource({
        "build-service,none",
        "registry-service,none",
        "lb-service,none",
        "deploy-service,none",
        "dns-service,none",
        "build-service,missing",
        "dns-service,bad",
        "deploy-service,bad"
    })
    void serviceStopsAtStartNamingTheTokensFile(String service, String kind) throws Exception {
        Path fleet = TestFleet.write("");
        Path dir = fleet.getParent();
        Path root = Path.of(System.getProperty("canary.root", "..")).toAbsolutePath();
        Path jar = root.resolve(service + "/target/quarkus-app/quarkus-run.jar");
        assertTrue(Files.exists(jar), jar + " is built before the e2e module");
        Path secret = Files.writeString(dir.resolve("secret"), "notify-0123456789abcdef01234\n");
        Path tokens = dir.resolve("api-tokens");
        String expected;
        ProcessBuilder pb =
                new ProcessBuilder("java", "-Dquarkus.http.port=0", "-jar", jar.toString())
                        .redirectErrorStream(true)
                        .directory(dir.toFile());
        switch (kind) {
            case "none" -> {
                pb.environment().remove("CANARY_API_TOKENS_FILE");
                expected = "no API tokens file: set canary.api.tokens-file";
            }
            case "missing" -> {
                pb.environment().put("CANARY_API_TOKENS_FILE", tokens.toString());
                expected = "cannot read tokens file " + tokens;
            }
            default -> {
                Files.writeString(
                        tokens,
                        "viewer watcher view-token-0123456789abcdef\nadmin root admin-token-0123456789abcdef\n");
                pb.environment().put("CANARY_API_TOKENS_FILE", tokens.toString());
                expected = tokens + ":2: role 'admin' is not operator or viewer";
            }
        }
        Path log = Files.createTempFile("missing-tokens", ".log");
        pb.redirectOutput(log.toFile());
        pb.environment().put("CANARY_FLEET", fleet.toString());
        pb.environment().put("KAFKA_BOOTSTRAP", "127.0.0.1:1");
        pb.environment().put("CANARY_DATA_DIR", dir.resolve("data").toString());
        pb.environment().put("CANARY_REGISTRY_NOTIFICATION_TOKEN_FILE", secret.toString());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), service + " did not stop without its tokens");
        String out = Files.readString(log);
        assertNotEquals(0, p.exitValue(), out);
        assertTrue(out.contains(expected), service + " says " + expected + ":\n" + out);
        assertTrue(
                !out.contains("admin-token-0123456789abcdef"), "no token in the output:\n" + out);
    }
}
