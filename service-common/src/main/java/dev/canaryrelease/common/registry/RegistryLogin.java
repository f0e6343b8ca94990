package dev.canaryrelease.common.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * A service's own registry user (htpasswd): user {@code canary.registry.username} (by default the
 * service's name), password from {@code canary.registry.password-file} (0600), read once at start.
 * build-service pushes with it, deploy-service's engines pull with it. The password is sent to the
 * registry or to an engine only, never logged: {@link Credentials#toString} masks it.
 */
@ApplicationScoped
public class RegistryLogin {
    private static final Logger LOG = Logger.getLogger(RegistryLogin.class);

    /** The service's registry user, under {@code canary.registry}. */
    @ConfigMapping(prefix = "canary.registry")
    public interface Config {
        /** The registry (htpasswd) user this service logs in as. */
        @WithDefault("${quarkus.application.name}")
        String username();

        /**
         * File holding that user's password. Without it the service's registry calls are anonymous,
         * which a registry with auth refuses (a push or a pull then fails with the registry's
         * refusal).
         */
        Optional<Path> passwordFile();
    }

    /** A user and its password. */
    public record Credentials(String user, String password) {
        /** The value of an HTTP {@code Authorization: Basic} header. */
        public String basicAuth() {
            return "Basic "
                    + Base64.getEncoder()
                            .encodeToString(
                                    (user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return "Credentials[user=" + user + ", password=***]";
        }
    }

    private final Optional<Credentials> credentials;

    public RegistryLogin(Config config) {
        this.credentials =
                config.passwordFile().map(f -> new Credentials(config.username(), read(f)));
        if (credentials.isEmpty()) {
            LOG.warn(
                    "canary.registry.password-file is not set: calls to the registry are anonymous");
        } else {
            LOG.infof("registry user %s", config.username());
        }
    }

    /**
     * The password in {@code file}, stripped; an empty or unreadable file is an error naming it.
     */
    static String read(Path file) {
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

    /** The credentials, or empty (anonymous). */
    public Optional<Credentials> credentials() {
        return credentials;
    }
}
