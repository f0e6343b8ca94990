package dev.canaryrelease.testsupport.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

/**
 * A test JVM killed with SIGKILL leaves its dockerd running; the next engine started in that slot
 * stops it and removes its folder.
 */
class LeftoverEngineTest {

    @Test
    void anEngineLeftByAKilledJvmIsRemovedByTheNextOneInItsSlot() throws Exception {
        // a child JVM starts an engine, prints its folder, then is killed before close()
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        // surefire runs tests from a manifest-only jar; its real class path is in this property
        cmd.add(
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(StartAndHang.class.getName());
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String line;
        try (var out =
                new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()))) {
            do {
                line = out.readLine();
            } while (line != null && !line.startsWith("ENGINE "));
            assertTrue(line != null, "the child printed its engine");
            String[] f = line.split(" ");
            Path dir = Path.of(f[1]);
            int slot = Integer.parseInt(f[2]);
            child.destroyForcibly().waitFor();
            assertFalse(HostCleanup.processesNaming(dir).isEmpty(), "its dockerd outlived it");

            // hold every slot Slot.acquire would try before that one, so the next engine gets it
            List<Slot> held = new ArrayList<>();
            try {
                Slot s;
                do {
                    s = Slot.acquire();
                    held.add(s);
                } while (s.index() != slot);
                s.close();
                try (DockerEngine next = DockerEngine.start("reclaimer")) {
                    assertEquals("crb" + slot, next.bridge());
                    assertTrue(HostCleanup.processesNaming(dir).isEmpty(), "the orphan is stopped");
                    assertFalse(Files.exists(dir), "its folder is gone");
                    assertEquals(0, next.docker("ps").exitCode());
                }
            } finally {
                held.forEach(Slot::close);
            }
        }
    }

    /** Child JVM: starts an engine and waits to be killed. */
    public static final class StartAndHang {
        public static void main(String[] args) throws Exception {
            DockerEngine engine = DockerEngine.start("orphan");
            System.out.println("ENGINE " + engine.dir() + " " + engine.bridge().substring(3));
            System.out.flush();
            new CountDownLatch(1).await(); // until killed
        }
    }
}
