package dev.canaryrelease.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PushJournalTest {
    @TempDir Path dir;

    static ManifestPush push(String tag, String digest) {
        return new ManifestPush(
                "example-app",
                tag,
                digest,
                MediaTypes.DOCKER_MANIFEST,
                Instant.parse("2026-01-01T00:00:00Z"),
                "n-" + tag,
                "build-service");
    }

    @Test
    void aRedeliveryIsDroppedWhilePendingAndAfterDone() {
        try (PushJournal j = PushJournal.open(dir, true, 100)) {
            ManifestPush a = push("a", "sha256:aa");
            assertEquals(List.of(a), j.offer(List.of(a)));
            assertEquals(List.of(), j.offer(List.of(a)));
            j.done(a.key());
            assertEquals(List.of(), j.offer(List.of(a)));
            assertEquals(List.of(), j.pending());
            // same digest, another tag: a push of its own
            ManifestPush b = push("b", "sha256:aa");
            assertEquals(List.of(b), j.offer(List.of(a, b)));
        }
    }

    @Test
    void pendingPushesAndDoneKeysSurviveARestart() {
        ManifestPush a = push("a", "sha256:aa");
        ManifestPush b = push("b", "sha256:bb");
        try (PushJournal j = PushJournal.open(dir, true, 100)) {
            j.offer(List.of(a, b));
            j.done(a.key());
        }
        try (PushJournal j = PushJournal.open(dir, true, 100)) {
            assertEquals(List.of(b), j.pending());
            assertTrue(j.seen(a.key()));
            assertEquals(List.of(), j.offer(List.of(a, b)));
        }
    }

    @Test
    void aTornLastLineIsSkipped() throws IOException {
        ManifestPush a = push("a", "sha256:aa");
        try (PushJournal j = PushJournal.open(dir, true, 100)) {
            j.offer(List.of(a));
        }
        Files.writeString(
                dir.resolve(PushJournal.FILE),
                "{\"op\":\"done\",\"ke",
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        try (PushJournal j = PushJournal.open(dir, true, 100)) {
            assertEquals(List.of(a), j.pending());
        }
    }

    @Test
    void compactionKeepsTheNewestDoneKeysAndThePendingOnes() throws IOException {
        ManifestPush waiting = push("waiting", "sha256:ff");
        try (PushJournal j = PushJournal.open(dir, false, 10)) {
            j.offer(List.of(waiting));
            for (int i = 0; i < 200; i++) {
                ManifestPush p = push("t" + i, "sha256:" + i);
                j.offer(List.of(p));
                j.done(p.key());
            }
            assertFalse(j.seen(push("t0", "sha256:0").key()));
            assertTrue(j.seen(push("t199", "sha256:199").key()));
        }
        assertTrue(Files.readAllLines(dir.resolve(PushJournal.FILE)).size() < 120);
        try (PushJournal j = PushJournal.open(dir, false, 10)) {
            assertEquals(List.of(waiting), j.pending());
            assertTrue(j.seen(push("t195", "sha256:195").key()));
        }
    }

    @Test
    void concurrentForcedOffersAreAllOnDisk() throws Exception {
        int n = 200;
        try (PushJournal j = PushJournal.open(dir, true, 1000)) {
            var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            var futures =
                    new java.util.ArrayList<java.util.concurrent.Future<List<ManifestPush>>>();
            for (int i = 0; i < n; i++) {
                ManifestPush p = push("c" + i, "sha256:c" + i);
                futures.add(pool.submit(() -> j.offer(List.of(p))));
            }
            for (var f : futures) {
                assertEquals(1, f.get().size());
            }
            pool.shutdown();
        }
        try (PushJournal j = PushJournal.open(dir, true, 1000)) {
            assertEquals(n, j.pending().size());
        }
    }
}
