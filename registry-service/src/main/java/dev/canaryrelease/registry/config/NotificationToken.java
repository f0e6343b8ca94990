package dev.canaryrelease.registry.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

/**
 * The bearer token the registry sends with its notifications, read once from {@code
 * canary.registry.notification-token-file}. Compared in constant time (as SHA-256 digests, so the
 * length does not leak either). Never logged.
 */
@ApplicationScoped
public class NotificationToken {
    private static final Logger LOG = Logger.getLogger(NotificationToken.class);
    private static final String BEARER = "bearer ";

    private final byte[] expected;

    public NotificationToken(RegistryServiceConfig config) {
        this.expected = config.notificationTokenFile().map(NotificationToken::read).orElse(null);
        if (expected == null) {
            LOG.warn(
                    "canary.registry.notification-token-file is not set: every notification is"
                            + " refused (401)");
        }
    }

    private static byte[] read(Path file) {
        try {
            String token = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (token.isEmpty()) {
                throw new IllegalStateException("notification token file " + file + " is empty");
            }
            return sha256(token);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the notification token file " + file, e);
        }
    }

    /** Whether an {@code Authorization} header carries the token. */
    public boolean accepts(String authorization) {
        if (expected == null || authorization == null) {
            return false;
        }
        String given = authorization.strip();
        if (given.length() < BEARER.length()
                || !given.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        return MessageDigest.isEqual(expected, sha256(given.substring(BEARER.length()).strip()));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
