package dev.canaryrelease.gateway.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

import dev.canaryrelease.common.auth.Tokens;
import dev.canaryrelease.gateway.domain.WebhookSignature;

/**
 * Loads the webhook secret and the API tokens once, at start: a missing or invalid file stops the
 * gateway with the file named. Neither the secret nor a token is ever logged.
 */
@ApplicationScoped
public class GatewaySecrets {
    private static final Logger LOG = Logger.getLogger(GatewaySecrets.class);

    private final GatewayConfig config;

    public GatewaySecrets(GatewayConfig config) {
        this.config = config;
    }

    @Produces
    @Singleton
    WebhookSignature webhookSignature() {
        byte[] secret;
        try {
            secret = Files.readAllBytes(config.webhookSecretFile());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read the webhook secret file " + config.webhookSecretFile(), e);
        }
        int n = secret.length;
        while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r')) {
            n--;
        }
        if (n == 0) {
            throw new IllegalStateException(
                    "the webhook secret file " + config.webhookSecretFile() + " is empty");
        }
        byte[] trimmed = Arrays.copyOf(secret, n);
        Arrays.fill(secret, (byte) 0);
        return new WebhookSignature(trimmed);
    }

    @Produces
    @Singleton
    Tokens tokens() {
        Tokens t = Tokens.load(config.tokensFile());
        LOG.infof("%d API tokens loaded from %s", t.size(), config.tokensFile());
        return t;
    }

    void onStart(@Observes StartupEvent event, WebhookSignature signature, Tokens tokens) {
        // Injecting them here makes a bad file fail the start, not the first request.
    }
}
