package dev.canaryrelease.gateway.config;

import java.nio.file.Path;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The gateway's own settings ({@code canary.gateway.*}). */
@ConfigMapping(prefix = "canary.gateway")
public interface GatewayConfig {

    /**
     * File holding the GitHub webhook secret (the whole file, a trailing newline ignored). Env:
     * {@code CANARY_GATEWAY_WEBHOOK_SECRET_FILE}.
     */
    Path webhookSecretFile();

    /**
     * File of API tokens, one {@code <role> <name> <token>} line each (role {@code operator} or
     * {@code viewer}; {@code #} comments). Env: {@code CANARY_GATEWAY_TOKENS_FILE}.
     */
    Path tokensFile();

    /** Largest webhook body accepted: GitHub caps payloads at 25 MB. */
    @WithDefault("26214400")
    long maxPayloadBytes();

    /** Page size of {@code GET /releases} when none is asked. */
    @WithDefault("20")
    int defaultPageSize();

    /** Largest page size of {@code GET /releases}. */
    @WithDefault("200")
    int maxPageSize();
}
