package dev.canaryrelease.gateway.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BodyBudgetTest {
    static final long MIB = 1024 * 1024;

    @Test
    void admissionByHeaders() {
        BodyBudget b = new BodyBudget(16 * MIB, 4 * MIB);
        record Case(String method, String length, String te, BodyBudget.Admission expected) {}
        for (Case c :
                new Case[] {
                    new Case("GET", null, null, new BodyBudget.NoBody()),
                    new Case("POST", "0", null, new BodyBudget.NoBody()),
                    new Case("POST", null, null, new BodyBudget.Reserve(4 * MIB, true)),
                    new Case("DELETE", null, null, new BodyBudget.NoBody()),
                    new Case("POST", "9479", null, new BodyBudget.Reserve(9479, false)),
                    new Case("POST", " 4194304 ", null, new BodyBudget.Reserve(4 * MIB, false)),
                    new Case("POST", "4194305", null, new BodyBudget.TooLarge(4 * MIB + 1)),
                    new Case("POST", "26214400", null, new BodyBudget.TooLarge(26214400)),
                    new Case("POST", null, "chunked", new BodyBudget.Reserve(4 * MIB, true)),
                    new Case("GET", null, "gzip, Chunked", new BodyBudget.Reserve(4 * MIB, true)),
                    new Case("POST", "-1", null, new BodyBudget.BadLength("-1")),
                    new Case("POST", "12abc", null, new BodyBudget.BadLength("12abc")),
                    new Case(
                            "POST",
                            "99999999999999999999",
                            null,
                            new BodyBudget.BadLength("99999999999999999999")),
                }) {
            assertEquals(c.expected(), b.admit(c.method(), c.length(), c.te()), c.toString());
        }
    }

    @Test
    void largeBodiesLeaveAQuarterForSmallOnes() {
        BodyBudget b = new BodyBudget(16 * MIB, 4 * MIB);
        assertTrue(b.tryReserve(4 * MIB));
        assertTrue(b.tryReserve(4 * MIB));
        assertTrue(b.tryReserve(4 * MIB));
        assertFalse(b.tryReserve(4 * MIB), "a fourth large body would take the last quarter");
        assertFalse(b.tryReserve(300 * 1024), "over 256 KiB counts as large");
        for (int i = 0; i < 16; i++) {
            assertTrue(b.tryReserve(256 * 1024), "small bodies use the last quarter: " + i);
        }
        assertFalse(b.tryReserve(1), "the budget is full");
        assertEquals(16 * MIB, b.used());
        assertEquals(16 * MIB, b.highWater());
        b.release(4 * MIB);
        assertTrue(b.tryReserve(10_000));
        assertFalse(b.tryReserve(4 * MIB));
        assertEquals(12 * MIB + 10_000, b.used());
        assertEquals(16 * MIB, b.highWater());
    }

    @Test
    void aBudgetTooSmallForTheLargestBodyIsRefusedAtStart() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> new BodyBudget(4 * MIB, 4 * MIB));
        assertTrue(e.getMessage().contains("canary.gateway.unverified-body-budget-bytes"));
        new BodyBudget(5_592_405, 4 * MIB); // three quarters of it are just 4 MiB
        assertThrows(IllegalArgumentException.class, () -> new BodyBudget(5_592_404, 4 * MIB));
    }
}
