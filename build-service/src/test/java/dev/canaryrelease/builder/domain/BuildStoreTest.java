package dev.canaryrelease.builder.domain;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

class BuildStoreTest {

    @Test
    void aSecondStoreOnTheSameDataDirectoryIsRefusedUntilTheFirstIsClosed(@TempDir Path dir)
            throws Exception {
        ObjectMapper json = new ObjectMapper().findAndRegisterModules();
        BuildStore first = new BuildStore(dir, json);
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> new BuildStore(dir, json));
        assertTrue(
                e.getMessage().contains("in use by another build-service instance"),
                e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        first.close();
        new BuildStore(dir, json).close();
        assertTrue(Files.exists(dir.resolve(".lock")));
    }
}
