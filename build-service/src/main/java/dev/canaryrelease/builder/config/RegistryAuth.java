package dev.canaryrelease.builder.config;

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
 * The registry credentials build-service pushes with (docker-java {@link AuthConfig}, sent to the
 * build engine with each push and never written anywhere else): user {@code
 * canary.registry.username}, password from {@code canary.registry.password-file} (0600), read once
 * at start. Never logged.
 */
@ApplicationScoped
public class RegistryAuth {
    private static final Logger LOG = Logger.getLogger(RegistryAuth.class);

    /** The registry user of build-service, under {@code canary.registry}. */
    @ConfigMapping(prefix = "canary.registry")
    public interface Config {
        /** The registry (htpasswd) user build-service pushes as. */
        @WithDefault("build-service")
        String username();

        /**
         * File holding that user's password. Without it pushes are anonymous, which a registry with
         * auth refuses (the build fails with {@code push refused}).
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
                    "canary.registry.password-file is not set: pushes to %s are anonymous",
                    fleet.registry().address());
        } else {
            LOG.infof("pushing to %s as %s", fleet.registry().address(), config.username());
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

    /** The push credentials, or null (anonymous). */
    public AuthConfig authConfig() {
        return auth;
    }
}
