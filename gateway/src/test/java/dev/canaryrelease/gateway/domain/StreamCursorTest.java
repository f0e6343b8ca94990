package dev.canaryrelease.gateway.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class StreamCursorTest {
    record Rec(String topic, long offset) {}

    @Test
    void roundTripsAndCompares() {
        StreamCursor c = StreamCursor.start();
        c.pass("gateway.events", 0, 4);
        c.pass("build.events", 0, 7);
        c.pass("gateway.events", 0, 2);
        String text = c.toString();
        assertEquals("build.events:0:7,gateway.events:0:4", text);
        StreamCursor back = StreamCursor.parse(text);
        assertFalse(back.isAfter("gateway.events", 0, 4));
        assertTrue(back.isAfter("gateway.events", 0, 5));
        assertTrue(back.isAfter("deploy.events", 0, 0));
        assertTrue(StreamCursor.parse("lb.events:0:3").isAfter("lb.events", 0, 4));
        assertThrows(IllegalArgumentException.class, () -> StreamCursor.parse("garbage"));
        assertThrows(IllegalArgumentException.class, () -> StreamCursor.parse("a:b:c"));
        assertThrows(IllegalArgumentException.class, () -> StreamCursor.parse("a:0:-1"));
    }

    /**
     * A restarted gateway reads partitions in another interleaving: the cursor still resumes
     * exactly.
     */
    @Test
    void resumesExactlyWhateverTheInterleaving() {
        List<Rec> firstRun =
                List.of(
                        new Rec("g", 0),
                        new Rec("b", 0),
                        new Rec("g", 1),
                        new Rec("b", 1),
                        new Rec("g", 2));
        StreamCursor c = StreamCursor.start();
        List<Rec> seen = new ArrayList<>();
        for (Rec r : firstRun.subList(0, 3)) {
            c.pass(r.topic(), 0, r.offset());
            seen.add(r);
        }
        String lastEventId = c.toString();
        // after a restart: all of b first, then all of g, plus one new record each
        List<Rec> secondRun =
                List.of(
                        new Rec("b", 0),
                        new Rec("b", 1),
                        new Rec("b", 2),
                        new Rec("g", 0),
                        new Rec("g", 1),
                        new Rec("g", 2),
                        new Rec("g", 3));
        StreamCursor resumed = StreamCursor.parse(lastEventId);
        List<Rec> sent = new ArrayList<>();
        for (Rec r : secondRun) {
            if (resumed.isAfter(r.topic(), 0, r.offset())) sent.add(r);
            resumed.pass(r.topic(), 0, r.offset());
        }
        assertEquals(
                List.of(new Rec("b", 1), new Rec("b", 2), new Rec("g", 2), new Rec("g", 3)), sent);
    }
}
