package dev.canaryrelease.registry.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotificationTokenTest {
    @TempDir Path dir;

    static RegistryServiceConfig config(Optional<Path> file) {
        return new RegistryServiceConfig() {
            public Optional<Path> notificationTokenFile() {
                return file;
            }

            public Optional<String> url() {
                return Optional.empty();
            }

            public String username() {
                return "registry-service";
            }

            public Optional<Path> passwordFile() {
                return Optional.empty();
            }

            public Duration httpTimeout() {
                return Duration.ofSeconds(1);
            }

            public Duration releaseWait() {
                return Duration.ofSeconds(1);
            }

            public int workers() {
                return 1;
            }

            public int verifyAttempts() {
                return 1;
            }

            public int dedupeCapacity() {
                return 10;
            }

            public boolean queueFsync() {
                return false;
            }

            public Retention retention() {
                return null;
            }
        };
    }

    @Test
    void acceptsOnlyTheBearerToken() throws IOException {
        Path f = dir.resolve("token");
        Files.writeString(f, "s3cret-token\n");
        NotificationToken t = new NotificationToken(config(Optional.of(f)));
        assertTrue(t.accepts("Bearer s3cret-token"));
        assertTrue(t.accepts("bearer s3cret-token"));
        assertFalse(t.accepts("Bearer s3cret-tokeN"));
        assertFalse(t.accepts("Bearer s3cret-token-longer"));
        assertFalse(t.accepts("Basic s3cret-token"));
        assertFalse(t.accepts("s3cret-token"));
        assertFalse(t.accepts(""));
        assertFalse(t.accepts(null));
    }

    @Test
    void withoutATokenFileEverythingIsRefused() {
        NotificationToken t = new NotificationToken(config(Optional.empty()));
        assertFalse(t.accepts("Bearer "));
        assertFalse(t.accepts("Bearer anything"));
    }
}
