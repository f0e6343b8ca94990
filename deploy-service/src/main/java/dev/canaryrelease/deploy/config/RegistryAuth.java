package dev.canaryrelease.deploy.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.github.dockerjava.api.model.AuthConfig;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.canaryrelease.fleet.Fleet;

/**
 * The registry credentials deploy-service's engines pull with (docker-java {@link AuthConfig}, sent
 * to the host's engine with each pull and never written anywhere else): user {@code
 * canary.registry.username}, password from {@code canary.registry.password-file} (0600), read once
 * at start. Never logged.
 */
@ApplicationScoped
public class RegistryAuth {
    private static final Logger LOG = Logger.getLogger(RegistryAuth.class);

    /** The registry user of deploy-service, under {@code canary.registry}. */
    @ConfigMapping(prefix = "canary.registry")
    public interface Config {
        /** The registry (htpasswd) user the engines pull as. */
        @WithDefault("deploy-service")
        String username();

        /**
         * File holding that user's password. Without it pulls are anonymous, which a registry with
         * auth refuses (the swap fails at its pull).
         */
        Optional<Path> passwordFile();
    }

    private final AuthConfig auth;

    public RegistryAuth(Config config, Fleet fleet) {
        this.auth =
                config.passwordFile()
                        .map(
                                f ->
                                        new AuthConfig()
                                                .withUsername(config.username())
                                                .withPassword(read(f))
                                                .withRegistryAddress(fleet.registry().address()))
                        .orElse(null);
        if (auth == null) {
            LOG.warnf(
                    "canary.registry.password-file is not set: pulls from %s are anonymous",
                    fleet.registry().address());
        } else {
            LOG.infof("engines pull from %s as %s", fleet.registry().address(), config.username());
        }
    }

    private static String read(Path file) {
        try {
            String p = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (p.isEmpty()) {
                throw new IllegalStateException("the registry password file " + file + " is empty");
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the registry password file " + file, e);
        }
    }

    /** The pull credentials, or null (anonymous). */
    public AuthConfig authConfig() {
        return auth;
    }
}
