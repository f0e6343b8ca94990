package dev.canaryrelease.gateway.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.gateway.domain.DeliveryIndex.Accepted;
import dev.canaryrelease.gateway.domain.DeliveryIndex.Seen;

class DeliveryIndexTest {
    static final String SHA_A = "a".repeat(40);
    static final String SHA_B = "b".repeat(40);

    static Accepted accepted(String release, String app, String sha, String delivery) {
        return new Accepted(release, app, "refs/heads/main", sha, delivery);
    }

    @Test
    void aRedeliveryIsSeenBeforeTheCommit() {
        DeliveryIndex index = new DeliveryIndex(10);
        CompletableFuture<Accepted> mine = new CompletableFuture<>();
        assertNull(index.claim("d1", "example", SHA_A, mine));
        DeliveryIndex.Earlier again =
                index.claim("d1", "example", SHA_A, new CompletableFuture<>());
        assertEquals(Seen.REDELIVERY, again.seen());
        assertSame(mine, again.outcome());
        DeliveryIndex.Earlier replay =
                index.claim("d2", "example", SHA_A, new CompletableFuture<>());
        assertEquals(Seen.DUPLICATE_COMMIT, replay.seen());
        assertSame(mine, replay.outcome());
    }

    @Test
    void theSameCommitOfAnotherAppIsNotADuplicate() {
        DeliveryIndex index = new DeliveryIndex(10);
        assertNull(index.claim("d1", "example", SHA_A, new CompletableFuture<>()));
        assertNull(index.claim("d2", "other", SHA_A, new CompletableFuture<>()));
        assertNull(index.claim("d3", "example", SHA_B, new CompletableFuture<>()));
    }

    @Test
    void aFailedPublishForgetsBothKeys() {
        DeliveryIndex index = new DeliveryIndex(10);
        CompletableFuture<Accepted> mine = new CompletableFuture<>();
        assertNull(index.claim("d1", "example", SHA_A, mine));
        index.release("d1", "example", SHA_A, mine, new IllegalStateException("kafka down"));
        assertTrue(mine.isCompletedExceptionally());
        assertNull(index.claim("d1", "example", SHA_A, new CompletableFuture<>()));
    }

    @Test
    void theReplayKeepsTheFirstReleaseOfACommit() {
        DeliveryIndex index = new DeliveryIndex(10);
        index.remember(accepted("r1", "example", SHA_A, "d1"));
        index.remember(accepted("r2", "example", SHA_A, "d2")); // history from before the check
        DeliveryIndex.Earlier e = index.claim("d3", "example", SHA_A, new CompletableFuture<>());
        assertEquals(Seen.DUPLICATE_COMMIT, e.seen());
        assertEquals("r1", e.outcome().join().releaseId());
        DeliveryIndex.Earlier d2 = index.claim("d2", "example", SHA_B, new CompletableFuture<>());
        assertEquals(Seen.REDELIVERY, d2.seen());
        assertEquals("r2", d2.outcome().join().releaseId());
    }

    @Test
    void theIndexIsBoundedAndForgetsTheLeastRecentlySeenFirst() {
        DeliveryIndex index = new DeliveryIndex(3);
        for (int i = 0; i < 3; i++) {
            index.remember(accepted("r" + i, "example", sha(i), "d" + i));
        }
        // commit 0 is seen again: commit 1 is now the least recently seen
        assertNotNull(index.claim("x", "example", sha(0), new CompletableFuture<>()));
        index.remember(accepted("r3", "example", sha(3), "d3"));
        assertEquals(3, index.commits());
        assertEquals(3, index.deliveries());
        assertNotNull(index.claim("y", "example", sha(0), new CompletableFuture<>()));
        assertNotNull(index.claim("y", "example", sha(2), new CompletableFuture<>()));
        // past the bound: commit 1 is forgotten and would be built again
        assertNull(index.claim("z", "example", sha(1), new CompletableFuture<>()));
        for (int i = 0; i < 1000; i++) {
            index.remember(accepted("q" + i, "example", sha(100 + i), "e" + i));
        }
        assertEquals(3, index.commits());
        assertEquals(3, index.deliveries());
    }

    @Test
    void aCapacityBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new DeliveryIndex(0));
    }

    static String sha(int i) {
        return String.format("%040x", i);
    }
}
