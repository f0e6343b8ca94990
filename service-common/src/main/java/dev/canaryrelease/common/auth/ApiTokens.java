package dev.canaryrelease.common.auth;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.quarkus.arc.DefaultBean;
import io.quarkus.runtime.StartupEvent;

/**
 * Loads the API tokens once, at start, from {@code canary.api.tokens-file}: a missing setting, a
 * missing file or a bad line stops the service with the file (and line) named. No token is ever
 * logged, only how many there are. A service that loads the file its own way (the gateway, from
 * {@code canary.gateway.tokens-file}) produces its own {@link Tokens} bean instead.
 */
@ApplicationScoped
public class ApiTokens {
    private static final Logger LOG = Logger.getLogger(ApiTokens.class);

    private final ApiTokensConfig config;

    public ApiTokens(ApiTokensConfig config) {
        this.config = config;
    }

    @Produces
    @Singleton
    @DefaultBean
    Tokens tokens() {
        var file =
                config.tokensFile()
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "no API tokens file: set canary.api.tokens-file"
                                                        + " (env CANARY_API_TOKENS_FILE) to a file"
                                                        + " of '<role> <name> <token>' lines; every"
                                                        + " endpoint but /q/health needs a token"));
        Tokens t = Tokens.load(file);
        LOG.infof("%d API tokens loaded from %s", t.size(), file);
        return t;
    }

    void onStart(
            @Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event,
            Tokens tokens) {
        // Injecting the tokens here, before any other start work, makes a bad file fail the
        // start at once, not the first request.
    }
}
