package dev.canaryrelease.deploy.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class OwnershipTest {

    @Test
    void anAppsPartitionIsTheOneTheProducersPartitionerGivesItsKey() {
        for (String app : new String[] {"example", "shop", "owned-0", "ünïcode", ""}) {
            for (int n : new int[] {1, 2, 3, 6, 12}) {
                assertEquals(
                        BuiltInPartitioner.partitionForKey(app.getBytes(StandardCharsets.UTF_8), n),
                        Ownership.partitionOf(app, n),
                        app + " of " + n);
            }
        }
    }

    @Test
    void ownsTheAppsOfItsPartitionsOnly() {
        int p = Ownership.partitionOf("example", 6);
        Ownership mine = new Ownership(6, Set.of(p));
        Ownership other = new Ownership(6, Set.of((p + 1) % 6));
        assertTrue(mine.owns("example"));
        assertFalse(other.owns("example"));
        assertFalse(Ownership.NONE.owns("example"), "nothing before the first assignment");
        assertFalse(mine.owns(null));
        assertTrue(mine.gained("example", other));
        assertTrue(mine.gained("example", Ownership.NONE));
        assertFalse(mine.gained("example", mine), "kept, not gained");
        assertThrows(IllegalArgumentException.class, () -> new Ownership(6, Set.of(6)));
    }
}
