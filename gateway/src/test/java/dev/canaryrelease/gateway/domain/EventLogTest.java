package dev.canaryrelease.gateway.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class EventLogTest {
    private static EventLog.Logged at(long offset) {
        return new EventLog.Logged("deploy.events", 0, offset, "r", "example", "t", "{}");
    }

    @Test
    void keepsOnlyTheMostRecentEntriesAndNumbersThemInReadingOrder() {
        EventLog log = new EventLog(3000);
        for (int i = 0; i < 10_000; i++) {
            log.append(at(i));
        }
        assertEquals(10_000, log.size());
        assertEquals(7_000, log.first());
        assertNull(log.get(6_999), "dropped");
        assertEquals(7_000, log.get(7_000).offset());
        assertEquals(8_500, log.get(8_500).offset());
        assertEquals(9_999, log.get(9_999).offset());
        assertNull(log.get(10_000), "not read yet");
    }

    @Test
    void growsUpToItsCapacity() {
        EventLog log = new EventLog(5);
        for (int i = 0; i < 4; i++) {
            log.append(at(i));
        }
        assertEquals(0, log.first());
        assertEquals(0, log.get(0).offset());
        log.append(at(4));
        log.append(at(5));
        assertEquals(1, log.first());
        assertEquals(5, log.get(5).offset());
        assertEquals(1, log.get(1).offset());
    }
}
