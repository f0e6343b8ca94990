package dev.canaryrelease.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The API tokens file of a service's tests (the gateway's format, {@code <role> <name> <token>}):
 * one operator and one viewer. As a test resource it writes the file (mode 0600) and sets {@code
 * canary.api.tokens-file}; a module applies it to all its {@code @QuarkusTest}s with one
 * {@code @WithTestResource(value = TestTokens.class, scope = TestResourceScope.GLOBAL)}.
 */
public class TestTokens implements QuarkusTestResourceLifecycleManager {
    public static final String OPERATOR = "test-operator";
    public static final String OPERATOR_TOKEN = "op-test-5b0e2c7d41a9f386";
    public static final String VIEWER = "test-viewer";
    public static final String VIEWER_TOKEN = "view-test-e83f19c2a6d04b75";

    /** {@code Bearer <token>}: the value of an {@code Authorization} header. */
    public static String bearer(String token) {
        return "Bearer " + token;
    }

    /** Writes the tokens file into a new temporary folder and returns its path. */
    public static Path write() {
        try {
            Path dir = Files.createTempDirectory("api-tokens");
            Path file = dir.resolve("api-tokens");
            Files.writeString(
                    file,
                    "# <role> <name> <token>\noperator "
                            + OPERATOR
                            + " "
                            + OPERATOR_TOKEN
                            + "\nviewer "
                            + VIEWER
                            + " "
                            + VIEWER_TOKEN
                            + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> start() {
        return Map.of("canary.api.tokens-file", write().toString());
    }

    @Override
    public void stop() {}
}
