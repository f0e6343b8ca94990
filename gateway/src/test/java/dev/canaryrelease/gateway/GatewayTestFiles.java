package dev.canaryrelease.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Writes the webhook secret and the tokens file of the tests and points the gateway at them. */
public class GatewayTestFiles implements QuarkusTestResourceLifecycleManager {
    public static final String SECRET = "It's a Secret to Everybody";
    public static final String OPERATOR = "alice";
    public static final String OPERATOR_TOKEN = "op-alice-6c1f0e9b2d7a4e58";
    public static final String VIEWER = "bob";
    public static final String VIEWER_TOKEN = "view-bob-93ad54c1e07f2b6d";

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Files.createTempDirectory("gateway-test");
            Path secret = dir.resolve("webhook-secret");
            Files.writeString(secret, SECRET + "\n");
            Path tokens = dir.resolve("tokens");
            Files.writeString(
                    tokens,
                    "# role name token\n"
                            + "operator "
                            + OPERATOR
                            + " "
                            + OPERATOR_TOKEN
                            + "\n\nviewer "
                            + VIEWER
                            + " "
                            + VIEWER_TOKEN
                            + "\n");
            return Map.of(
                    "canary.gateway.webhook-secret-file", secret.toString(),
                    "canary.gateway.tokens-file", tokens.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {}
}
