package dev.canaryrelease.common.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryLoginTest {
    @TempDir Path dir;

    static RegistryLogin.Config config(String user, Path file) {
        return new RegistryLogin.Config() {
            @Override
            public String username() {
                return user;
            }

            @Override
            public Optional<Path> passwordFile() {
                return Optional.ofNullable(file);
            }
        };
    }

    @Test
    void thePasswordIsReadStrippedAndNeverPrinted() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), "s3cret-pw\n");
        var c = new RegistryLogin(config("deploy-service", f)).credentials().orElseThrow();
        assertEquals(new RegistryLogin.Credentials("deploy-service", "s3cret-pw"), c);
        assertEquals("Basic ZGVwbG95LXNlcnZpY2U6czNjcmV0LXB3", c.basicAuth());
        assertFalse(c.toString().contains("s3cret"), c.toString());
    }

    @Test
    void noFileMeansAnonymous() {
        assertTrue(new RegistryLogin(config("gateway", null)).credentials().isEmpty());
    }

    @Test
    void anEmptyOrMissingFileIsNamed() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), " \n");
        var e =
                assertThrows(
                        IllegalStateException.class, () -> new RegistryLogin(config("u", empty)));
        assertEquals("the registry password file " + empty + " is empty", e.getMessage());
        Path missing = dir.resolve("missing");
        var m =
                assertThrows(
                        UncheckedIOException.class, () -> new RegistryLogin(config("u", missing)));
        assertEquals("cannot read the registry password file " + missing, m.getMessage());
    }
}
