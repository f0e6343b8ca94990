package dev.canaryrelease.builder.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OffsetBookTest {

    @Test
    void theCommitPointStaysOnTheFirstRecordWithoutAnOutcomeAndListsTheOnesDoneAfterIt() {
        OffsetBook book = new OffsetBook();
        book.assigned(2, 10L, "");
        assertTrue(book.point(2).isEmpty(), "nothing read: nothing to commit");
        for (long o = 10; o < 14; o++) {
            assertFalse(book.received(2, o));
        }
        book.done(2, 10);
        book.done(2, 12);
        assertEquals(new OffsetBook.Point(11, "done:12"), book.point(2).orElseThrow());
        book.done(2, 11);
        assertEquals(new OffsetBook.Point(13, ""), book.point(2).orElseThrow());
        book.done(2, 13);
        assertEquals(new OffsetBook.Point(14, ""), book.point(2).orElseThrow());
    }

    @Test
    void theNextOwnerSkipsWhatThePreviousOneListedAndBuildsTheRest() {
        OffsetBook next = new OffsetBook();
        next.assigned(2, 11L, "done:12,9");
        assertFalse(next.received(2, 11), "no outcome: built");
        assertTrue(next.received(2, 12), "had an outcome: skipped");
        assertFalse(next.received(2, 13));
        next.done(2, 11);
        next.done(2, 13);
        assertEquals(new OffsetBook.Point(14, ""), next.point(2).orElseThrow());
        // a revoked partition is forgotten: its later outcomes change nothing
        next.revoked(2);
        next.done(2, 14);
        assertTrue(next.point(2).isEmpty());
        assertTrue(next.points().isEmpty());
    }

    @Test
    void metadataNotOursIsIgnored() {
        OffsetBook book = new OffsetBook();
        book.assigned(0, 5L, "written by someone else");
        assertFalse(book.received(0, 5));
    }
}
