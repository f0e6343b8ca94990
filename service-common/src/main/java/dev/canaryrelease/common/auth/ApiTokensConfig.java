package dev.canaryrelease.common.auth;

import java.nio.file.Path;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/** Where a service finds the API tokens ({@code canary.api.*}). */
@ConfigMapping(prefix = "canary.api")
public interface ApiTokensConfig {

    /**
     * The API tokens file, one {@code <role> <name> <token>} line each (role {@code operator} or
     * {@code viewer}, {@code #} comments; see {@link Tokens}), the same file for every service.
     * Required: a service without it does not start. Env: {@code CANARY_API_TOKENS_FILE}.
     */
    Optional<Path> tokensFile();
}
