package dev.canaryrelease.testsupport.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The launcher's example app is the one dev/up puts in EXAMPLE_REPO: the build packs dev/'s files,
 * the one source, onto the class path.
 */
class ExampleAppFilesTest {

    @Test
    void theLauncherReadsDevsExampleApp() throws Exception {
        Path dev = Path.of("..", "dev", "example-app");
        for (String f : new String[] {"Dockerfile", "start.sh", "app.env"}) {
            try (InputStream in = ExampleApp.class.getResourceAsStream("/example-app/" + f)) {
                String resource = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(Files.readString(dev.resolve(f)), resource, f + " differs from dev/");
            }
        }
        assertTrue(Files.readString(dev.resolve("Dockerfile")).contains("FROM scratch"));
    }

    @Test
    void theAppsBusyboxIsStatic() {
        assertTrue(Elf.isStatic(Binaries.staticBusybox()));
        // and the check can fail: the JVM's own launcher is dynamically linked
        assertTrue(!Elf.isStatic(Path.of(System.getProperty("java.home"), "bin", "java")));
    }
}
