package dev.canaryrelease.gateway.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.gateway.domain.Views.Page;
import dev.canaryrelease.gateway.domain.Views.ReleaseSummary;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * The list over a bounded index and its pages answers what the same history answers with every
 * release in memory: every page of every filter, after releases settle in any order (an old one
 * settling late goes into the middle of a chain, a full page splits), and after a paged release
 * changes (it comes back into memory and leaves its pages). The durable store is a list of records
 * read by offset, as {@code gateway.release-pages} and {@code gateway.release-details} are read
 * (the Kafka side is {@code RetentionRestartTest}'s).
 */
class PagedListTest {
    static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    static final List<Phase> SETTLED =
            List.of(Phase.PROMOTED, Phase.FAILED, Phase.ABORTED, Phase.ROLLED_BACK);
    static final int INDEX = 5;
    static final int PAGE = 4;

    /** One partition of records, read by offset: the first record of the key from there. */
    static final class Log implements ReleaseStore.DetailSource, Pages.Reader {
        final List<String> keys = new ArrayList<>();
        final List<Object> values = new ArrayList<>();
        int reads;

        long append(String key, Object value) {
            keys.add(key);
            values.add(value);
            return keys.size() - 1;
        }

        Object at(long offset, String keyPrefix) {
            reads++;
            for (int i = (int) offset; i < keys.size(); i++) {
                if (keys.get(i).startsWith(keyPrefix) && values.get(i) != null) {
                    return values.get(i);
                }
            }
            throw new IllegalStateException("no " + keyPrefix + " from " + offset);
        }

        @Override
        public Optional<Stored.Detail> load(Stored.Summary s) {
            return Optional.of((Stored.Detail) at(s.detailOffset(), "detail:" + s.id()));
        }

        @Override
        public Stored.Page page(Stored.PageRef ref) {
            return (Stored.Page) at(ref.offset(), "page:" + ref.seq() + ":");
        }

        @Override
        public Stored.Bucket bucket(int bucket, int partition, long offset) {
            return (Stored.Bucket) at(offset, "bucket:" + bucket);
        }
    }

    final Fleet fleet = FleetLoader.load(TestFleet.write(""));
    final ReleaseStore all = new ReleaseStore(fleet);
    final ReleaseStore bounded = new ReleaseStore(fleet, 3, 2000, INDEX, PAGE);
    final Log log = new Log();
    int events;

    PagedListTest() {
        bounded.source(log);
        bounded.pages(log);
    }

    void apply(CanaryEvent data, Instant at) {
        var e =
                new EventEnvelope<>(
                        "e" + events++,
                        EventType.of(data),
                        EventEnvelope.sourceOf("deploy-service"),
                        data.releaseId(),
                        at,
                        null,
                        data);
        all.apply(e, null);
        bounded.apply(e, null);
    }

    /** What {@code ReleaseSnapshots.flush} does, on {@link #log}. */
    void flush() {
        ReleaseStore.Changes ch = bounded.takeChanges();
        for (ReleaseStore.ChangedRelease r : ch.releases()) {
            long offset = log.append("detail:" + r.id(), ReleaseStore.parseDetail(r.detail()));
            bounded.stored(r.id(), r.version(), 0, offset);
        }
        ReleaseStore.PageOut p = bounded.pageOut(bounded.pendingTombstones());
        if (p == null) {
            return;
        }
        for (Pages.Write w : p.plan().writes) {
            w.written(0, log.append(w.key, w.value));
        }
        bounded.directory(p);
        bounded.pagedOut(p);
        bounded.tombstoned(p.out().stream().map(Stored.Summary::id).toList());
    }

    void assertSameLists() {
        List<String> apps = new ArrayList<>();
        apps.add(null);
        apps.add("a");
        apps.add("b");
        List<Set<Phase>> states =
                List.of(
                        Set.of(),
                        EnumSet.of(Phase.FAILED),
                        EnumSet.of(Phase.PROMOTED, Phase.ABORTED),
                        EnumSet.of(Phase.BUILDING));
        for (String app : apps) {
            for (Set<Phase> s : states) {
                for (int size : new int[] {1, 3, 7}) {
                    for (int page = 0; ; page++) {
                        Page<ReleaseSummary> want = all.list(app, s, page, size);
                        Page<ReleaseSummary> got = bounded.list(app, s, page, size);
                        String what = app + " " + s + " size " + size + " page " + page;
                        assertEquals(ids(want), ids(got), what);
                        assertEquals(want.total(), got.total(), what + ": total");
                        if (want.items().isEmpty()) {
                            break;
                        }
                    }
                }
            }
        }
    }

    static List<String> ids(Page<ReleaseSummary> p) {
        return p.items().stream().map(ReleaseSummary::id).toList();
    }

    @Test
    void everyPageOfEveryFilterIsTheUnboundedOne() {
        Random random = new Random(14);
        List<String> open = new ArrayList<>();
        Map<String, String> appOf = new HashMap<>();
        Instant t = T0;
        for (int i = 0; i < 120; i++) {
            String id = "r" + i;
            String app = random.nextInt(3) == 0 ? "b" : "a";
            appOf.put(id, app);
            t = t.plusSeconds(1 + random.nextInt(3));
            apply(
                    new BuildRequested(
                            id, app, "repo", "u", "refs/heads/main", "c" + i, "p", "d" + i),
                    t);
            apply(new ReleasePhaseChanged(id, app, Phase.BUILDING, Phase.PENDING), t);
            open.add(id);
            // most settle at once, some much later (an old release settling goes into the middle)
            while (!open.isEmpty() && random.nextInt(4) != 0) {
                String done = open.remove(random.nextInt(open.size()));
                apply(
                        new ReleasePhaseChanged(
                                done,
                                appOf.get(done),
                                SETTLED.get(random.nextInt(SETTLED.size())),
                                Phase.BUILDING),
                        t);
            }
            if (i % 7 == 0) {
                flush();
            }
        }
        flush();
        assertTrue(
                bounded.settledInMemory() <= INDEX,
                "settled in memory " + bounded.settledInMemory());
        assertTrue(bounded.paged() > 60, "paged " + bounded.paged());
        assertEquals(all.size(), bounded.size() + bounded.paged());
        assertSameLists();

        // a window over old pages reads about as many pages as it spans
        int before = log.reads;
        bounded.list(null, Set.of(), 20, 3);
        assertTrue(log.reads - before <= 2, "pages read: " + (log.reads - before));

        // an old paged release: found by id, and a change brings it back into memory
        String old = "r0";
        for (int i = 0; bounded.holds(old); i++) old = "r" + i;
        assertEquals(
                all.detail(old).orElseThrow().state(), bounded.detail(old).orElseThrow().state());
        apply(new ReleasePhaseChanged(old, appOf.get(old), Phase.ROLLED_BACK, Phase.PROMOTED), t);
        assertTrue(bounded.holds(old));
        flush();
        assertSameLists();
        assertEquals(Phase.ROLLED_BACK, bounded.detail(old).orElseThrow().state());
        assertEquals(all.size(), bounded.size() + bounded.paged());
    }
}
