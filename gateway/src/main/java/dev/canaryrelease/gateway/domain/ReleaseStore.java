package dev.canaryrelease.gateway.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.LbDriftCorrected;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.gateway.domain.Views.HostStatus;
import dev.canaryrelease.gateway.domain.Views.Page;
import dev.canaryrelease.gateway.domain.Views.ReleaseDetail;
import dev.canaryrelease.gateway.domain.Views.ReleaseSummary;
import dev.canaryrelease.gateway.domain.Views.TimelineEntry;

/**
 * The release read model, bounded: an index of every release (a {@link Stored.Summary} each, about
 * 300 bytes), the whole timeline of only the {@code canary.gateway.cache-releases} most recently
 * changed or read releases, and the current digest and load-balancer state of every (app, host). A
 * release's events are folded in event-time order (a replay reads the six topics in any
 * interleaving, so arrival order across topics means nothing).
 *
 * <p>What changed is written by {@code ReleaseSnapshots} to the compacted topics ({@link
 * #takeChanges}, then {@link #stored}); only a release whose latest version is stored leaves
 * memory, and it is read back from {@code gateway.release-details} ({@link DetailSource}) when an
 * event for it arrives or it is asked for. All methods are synchronized: one consumer thread
 * writes, REST threads read snapshots.
 */
public class ReleaseStore {
    private static final Logger LOG = Logger.getLogger(ReleaseStore.class);

    /**
     * What an operator command needs: the state, the event to name as the cause ({@code latest}),
     * and the latest event that is not the canary analysis's ({@code lastStep}: the windows and
     * verdicts come every interval and say nothing of where the release's steps stand).
     */
    public record CommandTarget(
            String releaseId,
            String app,
            Phase state,
            EventEnvelope<CanaryEvent> latest,
            EventEnvelope<CanaryEvent> lastStep) {}

    record Recorded(long seq, String position, EventEnvelope<CanaryEvent> event) {}

    /** Reads a release's stored detail (the durable store). */
    public interface DetailSource {
        /**
         * @return the detail, or empty when it cannot be found
         * @throws RuntimeException when the store cannot be read now
         */
        Optional<Stored.Detail> load(Stored.Summary summary);
    }

    /** What changed since the last {@link #takeChanges}, serialised under the store's lock. */
    public record Changes(
            List<ChangedRelease> releases, List<Stored.Hosts> hosts, Map<String, Long> checkpoint) {
        public boolean isEmpty() {
            return releases.isEmpty() && hosts.isEmpty();
        }
    }

    /** One changed release: its detail record and the version it is. */
    public record ChangedRelease(String id, long version, byte[] detail) {}

    /**
     * The canary analysis's events and a weighted canary's: they come every interval or step and
     * say nothing of where the release's steps stand ({@link CommandTarget#lastStep}).
     */
    private static final java.util.Set<dev.canaryrelease.events.EventType> ANALYSIS_TYPES =
            java.util.EnumSet.of(
                    dev.canaryrelease.events.EventType.ANALYSIS_WINDOW,
                    dev.canaryrelease.events.EventType.ANALYSIS_VERDICT,
                    dev.canaryrelease.events.EventType.CANARY_WEIGHT_REQUESTED,
                    dev.canaryrelease.events.EventType.CANARY_WEIGHT_SET,
                    dev.canaryrelease.events.EventType.CANARY_SHARE_SERVED);

    /** The events whose reason is the release's: how it ended, or why a promotion was refused. */
    private static final java.util.Set<dev.canaryrelease.events.EventType> REASON_OF_RELEASE =
            java.util.EnumSet.of(
                    dev.canaryrelease.events.EventType.PROMOTION_REJECTED,
                    dev.canaryrelease.events.EventType.RELEASE_FAILED,
                    dev.canaryrelease.events.EventType.RELEASE_ABORTED,
                    dev.canaryrelease.events.EventType.RELEASE_ROLLED_BACK,
                    dev.canaryrelease.events.EventType.RELEASE_SUPERSEDED,
                    dev.canaryrelease.events.EventType.RELEASE_PROMOTED,
                    dev.canaryrelease.events.EventType.BUILD_FAILED);

    private static final Comparator<Recorded> TIME_ORDER =
            Comparator.comparing((Recorded r) -> r.event().time()).thenComparingLong(Recorded::seq);

    /** Newest first, then by id: the order of {@code GET /releases}. */
    private record Order(Instant createdAt, String id) {}

    private static final Comparator<Order> NEWEST_FIRST =
            Comparator.comparing(Order::createdAt, Comparator.reverseOrder())
                    .thenComparing(Order::id);

    /** A release's fields, folded from its events one at a time. */
    static final class Fold {
        String app;
        String repository;
        String ref;
        String commitSha;
        String pusher;
        String deliveryId;
        String image;
        String tag;
        String digest;
        String reason;
        Phase state;
        Instant firstAt;
        Instant lastAt;

        Fold copy() {
            return of(stored());
        }

        Stored.Fold stored() {
            return new Stored.Fold(
                    app,
                    repository,
                    ref,
                    commitSha,
                    pusher,
                    deliveryId,
                    image,
                    tag,
                    digest,
                    reason,
                    state,
                    firstAt,
                    lastAt);
        }

        static Fold of(Stored.Fold s) {
            Fold f = new Fold();
            if (s == null) {
                return f;
            }
            f.app = s.app();
            f.repository = s.repository();
            f.ref = s.ref();
            f.commitSha = s.commitSha();
            f.pusher = s.pusher();
            f.deliveryId = s.deliveryId();
            f.image = s.image();
            f.tag = s.tag();
            f.digest = s.digest();
            f.reason = s.reason();
            f.state = s.state();
            f.firstAt = s.firstAt();
            f.lastAt = s.lastAt();
            return f;
        }

        void apply(Recorded r) {
            CanaryEvent d = r.event().data();
            if (d instanceof ReleasePhaseChanged pc && pc.phase() != null) {
                // deploy-service owns the machine: the state is the last phase it announced
                state = pc.phase();
            }
            if (firstAt == null) {
                firstAt = r.event().time();
            }
            lastAt = r.event().time();
            if (d instanceof BuildRequested b) {
                app = b.app();
                repository = b.repository();
                ref = b.ref();
                commitSha = b.commitSha();
                pusher = b.pusher();
                deliveryId = b.deliveryId();
            } else if (d instanceof BuildSucceeded b) {
                image = b.image();
                tag = b.tag();
                digest = b.digest();
            } else if (d instanceof ImagePushed b) {
                image = b.repository();
                tag = b.tag();
                digest = b.digest();
            } else if (d instanceof dev.canaryrelease.events.model.DeployRequested b) {
                // an operator's chosen image: a retry or a chosen version, no build
                image = b.repository();
                tag = b.tag();
                digest = b.digest();
                pusher = b.operator();
            } else if (d instanceof CanaryLive b && b.digest() != null) {
                digest = b.digest();
            } else if (d instanceof HostUpdateRequested b
                    && b.stage() != Stage.ROLLBACK
                    && b.digest() != null) {
                digest = b.digest();
            } else if (d instanceof dev.canaryrelease.events.model.WithReason w
                    && REASON_OF_RELEASE.contains(r.event().type())) {
                reason = w.reason();
            }
            String eventApp = appOf(d);
            if (app == null && eventApp != null) {
                app = eventApp;
            }
        }

        Phase stateOrPending() {
            return state == null ? Phase.PENDING : state;
        }
    }

    private static final class Release {
        final String id;
        final List<Recorded> events = new ArrayList<>();
        final Map<String, Long> positions = new HashMap<>();
        Fold base = new Fold();
        int dropped;
        Fold now = new Fold();
        long version;

        Release(String id) {
            this.id = id;
        }

        void refold() {
            Fold f = base.copy();
            for (Recorded r : events) {
                f.apply(r);
            }
            now = f;
        }

        Instant createdAt() {
            return now.firstAt == null ? Instant.EPOCH : now.firstAt;
        }

        Instant updatedAt() {
            return now.lastAt == null ? createdAt() : now.lastAt;
        }
    }

    private static final class HostState {
        String digest;
        String previousDigest;
        Instant digestAt = Instant.MIN;
        String lbState = "UNKNOWN";
        Instant lbAt = Instant.MIN;
        String lastStage;
        String lastReleaseId;
        Instant updatedAt;
    }

    private final Fleet fleet;
    private final int cacheReleases;
    private final int timelineEvents;
    private final Map<String, Stored.Summary> index = new HashMap<>();
    private final TreeSet<Order> order = new TreeSet<>(NEWEST_FIRST);
    private final LinkedHashMap<String, Release> hot = new LinkedHashMap<>(16, 0.75f, true);
    private final Set<String> dirty = new LinkedHashSet<>();
    private final Set<String> dirtyHosts = new LinkedHashSet<>();
    private final Map<String, Long> applied = new HashMap<>();
    private final Map<String, Map<String, HostState>> hosts = new HashMap<>();
    private final int indexReleases;
    private final Pages pages;

    /** Paged releases in memory again (an event or a command): their paged copy, till unpaged. */
    private final Map<String, Stored.Summary> back = new HashMap<>();

    private DetailSource source;
    private Pages.Reader pageReader;
    private long seq;

    /** Most releases one page-out moves to the pages (the rest at the next write). */
    static final int PAGE_OUT_BATCH = 5000;

    /** Id buckets of the paged releases. */
    public static final int BUCKETS = 1024;

    /** Unbounded (every release stays in memory): for tests of the fold. */
    public ReleaseStore(Fleet fleet) {
        this(fleet, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    public ReleaseStore(Fleet fleet, int cacheReleases, int timelineEvents) {
        this(fleet, cacheReleases, timelineEvents, Integer.MAX_VALUE, 500);
    }

    /**
     * @param indexReleases settled releases (PROMOTED or final) kept in the in-memory index, the
     *     newest; older ones are paged out ({@link Pages})
     * @param pageReleases releases in one page
     */
    public ReleaseStore(
            Fleet fleet,
            int cacheReleases,
            int timelineEvents,
            int indexReleases,
            int pageReleases) {
        if (cacheReleases < 1 || timelineEvents < 1 || indexReleases < 1 || pageReleases < 1) {
            throw new IllegalArgumentException(
                    "canary.gateway.cache-releases, timeline-events, index-releases and"
                            + " page-releases must be at least 1");
        }
        this.fleet = fleet;
        this.cacheReleases = cacheReleases;
        this.timelineEvents = timelineEvents;
        this.indexReleases = indexReleases;
        this.pages = new Pages(pageReleases, BUCKETS);
    }

    /** Where paged-out releases are read from; without one, every release stays in memory. */
    public synchronized void pages(Pages.Reader reader) {
        this.pageReader = reader;
    }

    /** Whether a release is settled: PROMOTED or final (what leaves the in-memory index). */
    static boolean settled(Phase state) {
        return state != null && (state.ended() || state == Phase.PROMOTED);
    }

    /**
     * The summary of a release: in memory, or read from its bucket (a record read, under the lock:
     * a paged release is rarely asked for).
     */
    private Stored.Summary summaryOf(String id) {
        Stored.Summary s = index.get(id);
        if (s != null || pageReader == null || !pages.mayHold(id)) {
            return s;
        }
        try {
            return pages.find(id, pageReader).orElse(null);
        } catch (RuntimeException e) {
            LOG.warnf("release %s: cannot read its page bucket (%s)", id, e.toString());
            throw e;
        }
    }

    /** Where evicted releases are read back from; without one, no release leaves memory. */
    public synchronized void source(DetailSource source) {
        this.source = source;
    }

    /** The {@code app} field of an event's data, when it has one. */
    public static String appOf(CanaryEvent d) {
        return d instanceof dev.canaryrelease.events.model.OfApp a ? a.app() : null;
    }

    /**
     * A record of an event topic was read (applied, skipped or dead-lettered): the checkpoint moves
     * past it.
     */
    public synchronized void passed(String topic, int partition, long offset) {
        applied.merge(topic + ":" + partition, offset, Math::max);
    }

    /**
     * Adds one event (idempotent: by event id, and by position for a release read back from the
     * store).
     *
     * @param position {@code topic:partition:offset}, or null
     * @return the app of the event's release, when known
     */
    public synchronized String apply(EventEnvelope<CanaryEvent> event, String position) {
        CanaryEvent d = event.data();
        updateHosts(event);
        if (CanaryEvent.NO_RELEASE.equals(event.releaseId())) {
            return appOf(d);
        }
        Release r = hotOrLoad(event.releaseId());
        String partitionKey = null;
        long offset = -1;
        if (position != null) {
            int i = position.lastIndexOf(':');
            try {
                offset = Long.parseLong(position.substring(i + 1));
                partitionKey = position.substring(0, i);
            } catch (RuntimeException e) {
                partitionKey = null;
            }
        }
        if (partitionKey != null && r.positions.getOrDefault(partitionKey, -1L) >= offset) {
            return r.now.app; // already applied before the snapshot this release was read from
        }
        for (Recorded x : r.events) {
            if (x.event().id().equals(event.id())) {
                return r.now.app;
            }
        }
        Recorded rec = new Recorded(seq++, position, event);
        place(r.events, rec);
        if (partitionKey != null) {
            r.positions.merge(partitionKey, offset, Math::max);
        }
        while (r.events.size() > timelineEvents) {
            r.base.apply(r.events.remove(0));
            r.dropped++;
        }
        r.refold();
        r.version++;
        index(r);
        dirty.add(r.id);
        evict();
        return r.now.app;
    }

    private Release hotOrLoad(String id) {
        Release r = hot.get(id);
        if (r != null) {
            return r;
        }
        Stored.Summary s = index.get(id);
        if (s == null) {
            s = summaryOf(id);
            if (s != null) {
                // a paged release in memory again: its paged copy goes at the next page-out
                back.put(id, s);
                put(s);
            }
        }
        r = new Release(id);
        if (s != null && s.stored() && source != null) {
            try {
                Optional<Stored.Detail> d = source.load(s);
                if (d.isPresent()) {
                    r = fromStored(d.get());
                } else {
                    LOG.warnf(
                            "release %s: its stored detail is missing; its timeline restarts", id);
                    r.base = foldOf(s);
                }
            } catch (RuntimeException e) {
                LOG.warnf(
                        "release %s: cannot read its stored detail (%s); its timeline restarts",
                        id, e.toString());
                r.base = foldOf(s);
            }
            r.refold();
        }
        hot.put(id, r);
        return r;
    }

    private static Fold foldOf(Stored.Summary s) {
        Fold f = new Fold();
        f.app = s.app();
        f.repository = s.repository();
        f.ref = s.ref();
        f.commitSha = s.commitSha();
        f.pusher = s.pusher();
        f.deliveryId = s.deliveryId();
        f.digest = s.digest();
        f.state = s.state();
        f.firstAt = s.createdAt();
        f.lastAt = s.updatedAt();
        return f;
    }

    private void index(Release r) {
        Stored.Summary old = index.get(r.id);
        Stored.Summary s =
                new Stored.Summary(
                        r.id,
                        r.now.app,
                        r.now.stateOrPending(),
                        r.now.repository,
                        r.now.ref,
                        r.now.commitSha,
                        r.now.pusher,
                        r.now.deliveryId,
                        r.now.digest,
                        r.createdAt(),
                        r.updatedAt(),
                        old == null ? -1 : old.detailPartition(),
                        old == null ? -1 : old.detailOffset());
        put(s);
    }

    private void put(Stored.Summary s) {
        Stored.Summary old = index.put(s.id(), s);
        if (old != null) {
            order.remove(new Order(old.createdAt(), old.id()));
        }
        order.add(new Order(s.createdAt(), s.id()));
    }

    /** Drops the least recently used releases whose latest version is stored. */
    private void evict() {
        if (hot.size() <= cacheReleases || source == null) {
            return;
        }
        Iterator<Map.Entry<String, Release>> it = hot.entrySet().iterator();
        while (hot.size() > cacheReleases && it.hasNext()) {
            Map.Entry<String, Release> e = it.next();
            Stored.Summary s = index.get(e.getKey());
            if (!dirty.contains(e.getKey()) && s != null && s.stored()) {
                it.remove();
            }
        }
    }

    private static Release fromStored(Stored.Detail d) {
        Release r = new Release(d.id());
        r.base = Fold.of(d.base());
        r.dropped = d.dropped();
        if (d.positions() != null) {
            r.positions.putAll(d.positions());
        }
        for (Stored.Event e : d.events()) {
            EventType type =
                    EventType.ofType(e.type())
                            .orElseThrow(
                                    () -> new IllegalStateException("unknown type " + e.type()));
            CanaryEvent data;
            try {
                data = CloudEventCodec.JSON.treeToValue(e.data(), type.dataClass());
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException("stored event " + e.id() + ": " + ex, ex);
            }
            r.events.add(
                    new Recorded(
                            e.seq(),
                            e.position(),
                            new EventEnvelope<>(
                                    e.id(),
                                    type,
                                    e.source(),
                                    e.subject(),
                                    e.time(),
                                    e.causationId(),
                                    data)));
        }
        r.refold();
        return r;
    }

    private static Stored.Detail toStored(Release r) {
        List<Stored.Event> events = new ArrayList<>(r.events.size());
        for (Recorded x : r.events) {
            EventEnvelope<CanaryEvent> e = x.event();
            events.add(
                    new Stored.Event(
                            x.seq(),
                            x.position(),
                            e.id(),
                            e.type().type(),
                            e.source(),
                            e.subject(),
                            e.time(),
                            e.causationId(),
                            CloudEventCodec.JSON.valueToTree(e.data())));
        }
        return new Stored.Detail(
                r.id, r.base.stored(), r.dropped, new HashMap<>(r.positions), events);
    }

    /** Parses a detail record. */
    public static Stored.Detail parseDetail(byte[] json) {
        try {
            return CloudEventCodec.JSON.readValue(json, Stored.Detail.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable release detail: " + e.getMessage(), e);
        }
    }

    /**
     * What changed since the last call (the details serialised now), and the checkpoint they cover:
     * every record passed so far.
     */
    public synchronized Changes takeChanges() {
        List<ChangedRelease> rs = new ArrayList<>();
        for (String id : dirty) {
            Release r = hot.get(id);
            if (r == null) {
                continue;
            }
            try {
                rs.add(
                        new ChangedRelease(
                                id,
                                r.version,
                                CloudEventCodec.JSON.writeValueAsBytes(toStored(r))));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot serialise release " + id, e);
            }
        }
        List<Stored.Hosts> hs = new ArrayList<>();
        for (String app : dirtyHosts) {
            hs.add(hostsOf(app));
        }
        dirtyHosts.clear();
        Map<String, Long> next = new HashMap<>();
        applied.forEach((k, v) -> next.put(k, v + 1));
        return new Changes(rs, hs, next);
    }

    /** The hosts of {@code app} were not written: write them next time. */
    public synchronized void hostsNotStored(Collection<String> apps) {
        dirtyHosts.addAll(apps);
    }

    /**
     * A release's detail record is acknowledged at this offset.
     *
     * @return its summary for the index, with where its detail is
     */
    public synchronized Stored.Summary stored(String id, long version, int partition, long offset) {
        Stored.Summary s = index.get(id);
        if (s == null) {
            return null;
        }
        Stored.Summary w = s.withDetail(partition, offset);
        put(w);
        Release r = hot.get(id);
        if (r == null || r.version == version) {
            dirty.remove(id);
        }
        evict();
        return w;
    }

    /** Restores the index and the hosts read from {@code gateway.releases} at start. */
    public synchronized void restore(
            Collection<Stored.Summary> summaries,
            Collection<Stored.Hosts> hostsOfApps,
            Map<String, Long> checkpoint) {
        restore(summaries, hostsOfApps, checkpoint, List.of(), null);
    }

    /**
     * Restores the index, the hosts and the directory of the pages read at start; a release whose
     * tombstone was pending when the directory was written is in the pages, not in memory.
     */
    public synchronized void restore(
            Collection<Stored.Summary> summaries,
            Collection<Stored.Hosts> hostsOfApps,
            Map<String, Long> checkpoint,
            Collection<Stored.Chain> chains,
            Stored.Buckets buckets) {
        pages.restore(chains, buckets);
        Set<String> paged = new java.util.HashSet<>(pages.pending());
        for (Stored.Summary s : summaries) {
            if (!paged.contains(s.id())) {
                put(s);
            }
        }
        for (Stored.Hosts h : hostsOfApps) {
            Map<String, HostState> m = hosts.computeIfAbsent(h.app(), a -> new HashMap<>());
            h.hosts()
                    .forEach(
                            (name, x) -> {
                                HostState s = new HostState();
                                s.digest = x.digest();
                                s.previousDigest = x.previousDigest();
                                s.digestAt = x.digestAt() == null ? Instant.MIN : x.digestAt();
                                s.lbState = x.lbState() == null ? "UNKNOWN" : x.lbState();
                                s.lbAt = x.lbAt() == null ? Instant.MIN : x.lbAt();
                                s.lastStage = x.lastStage();
                                s.lastReleaseId = x.lastReleaseId();
                                s.updatedAt = x.updatedAt();
                                m.put(name, s);
                            });
        }
        checkpoint.forEach((k, v) -> applied.merge(k, v - 1, Math::max));
    }

    private Stored.Hosts hostsOf(String app) {
        Map<String, Stored.Host> m = new java.util.TreeMap<>();
        hosts.getOrDefault(app, Map.of())
                .forEach(
                        (name, h) ->
                                m.put(
                                        name,
                                        new Stored.Host(
                                                h.digest,
                                                h.previousDigest,
                                                h.digestAt == Instant.MIN ? null : h.digestAt,
                                                h.lbState,
                                                h.lbAt == Instant.MIN ? null : h.lbAt,
                                                h.lastStage,
                                                h.lastReleaseId,
                                                h.updatedAt)));
        return new Stored.Hosts(app, m);
    }

    /** Every summary, oldest first (to refill the push dedupe). */
    public synchronized List<Stored.Summary> summariesOldestFirst() {
        List<Stored.Summary> all = new ArrayList<>(index.size());
        order.descendingIterator().forEachRemaining(o -> all.add(index.get(o.id())));
        return all;
    }

    /** The tombstones a start found pending (to write again). */
    public synchronized List<String> pendingTombstones() {
        return pages.pending();
    }

    /** Settled releases (PROMOTED or final) in the in-memory index (at most index-releases). */
    public synchronized int settledInMemory() {
        int n = 0;
        for (Stored.Summary s : index.values()) {
            if (settled(s.state())) n++;
        }
        return n;
    }

    /** Whether a release is in the in-memory index. */
    public synchronized boolean holds(String id) {
        return index.containsKey(id);
    }

    /** Releases in the in-memory index. */
    public synchronized int size() {
        return index.size();
    }

    /** Releases held with their timeline. */
    public synchronized int cached() {
        return hot.size();
    }

    /**
     * Adds {@code rec} to a release's events in causal order: every event after its cause and after
     * the events before it in its own partition (offset order), and by CloudEvent time where
     * neither says anything. So producers' clock skew, or the order in which a replay reads several
     * topics, cannot put an event before the one that caused it (see {@code ReplayOrder} in
     * events/). An event that fits at the end (the live case) is appended; otherwise the whole list
     * is sorted again, because one late event can move others: an effect read before its cause
     * drags the cause's partition successors along.
     */
    static void place(List<Recorded> events, Recorded rec) {
        boolean fitsAtEnd =
                events.isEmpty() || TIME_ORDER.compare(events.get(events.size() - 1), rec) <= 0;
        for (int j = 0; fitsAtEnd && j < events.size(); j++) {
            Recorded x = events.get(j);
            if (rec.event().id().equals(x.event().causationId()) || earlierInPartition(rec, x)) {
                fitsAtEnd = false;
            }
        }
        events.add(rec);
        if (!fitsAtEnd) {
            List<Recorded> sorted = causalOrder(events);
            events.clear();
            events.addAll(sorted);
        }
    }

    /**
     * A topological order of {@code events} (cause before effect, partition offset order), the
     * earliest by {@link #TIME_ORDER} first among those whose predecessors are all placed. A cycle
     * (only corrupt history makes one) is broken at its earliest event.
     */
    static List<Recorded> causalOrder(List<Recorded> events) {
        int n = events.size();
        int[] waiting = new int[n];
        List<List<Integer>> after = new ArrayList<>(n);
        for (int i = 0; i < n; i++) after.add(new ArrayList<>());
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                Recorded x = events.get(a);
                Recorded y = events.get(b);
                if (a != b
                        && (x.event().id().equals(y.event().causationId())
                                || earlierInPartition(x, y))) {
                    after.get(a).add(b);
                    waiting[b]++;
                }
            }
        }
        java.util.PriorityQueue<Integer> ready =
                new java.util.PriorityQueue<>(
                        (i, j) -> TIME_ORDER.compare(events.get(i), events.get(j)));
        for (int i = 0; i < n; i++) if (waiting[i] == 0) ready.add(i);
        boolean[] placed = new boolean[n];
        List<Recorded> out = new ArrayList<>(n);
        while (out.size() < n) {
            if (ready.isEmpty()) {
                int first = -1;
                for (int i = 0; i < n; i++) {
                    if (!placed[i]
                            && (first < 0
                                    || TIME_ORDER.compare(events.get(i), events.get(first)) < 0)) {
                        first = i;
                    }
                }
                waiting[first] = 0;
                ready.add(first);
            }
            int i = ready.poll();
            if (placed[i]) continue;
            placed[i] = true;
            out.add(events.get(i));
            for (int b : after.get(i)) {
                if (!placed[b] && --waiting[b] == 0) ready.add(b);
            }
        }
        return out;
    }

    /**
     * Whether {@code a} comes before {@code b} in the same partition ({@code
     * topic:partition:offset}).
     */
    private static boolean earlierInPartition(Recorded a, Recorded b) {
        if (a.position() == null || b.position() == null) {
            return false;
        }
        int ia = a.position().lastIndexOf(':');
        int ib = b.position().lastIndexOf(':');
        if (ia < 0 || ib < 0 || !a.position().regionMatches(0, b.position(), 0, Math.max(ia, ib))) {
            return false;
        }
        if (ia != ib) {
            return false;
        }
        try {
            return Long.parseLong(a.position().substring(ia + 1))
                    < Long.parseLong(b.position().substring(ib + 1));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private void updateHosts(EventEnvelope<CanaryEvent> event) {
        CanaryEvent d = event.data();
        Instant t = event.time();
        if (d instanceof LbDriftCorrected c) {
            if (c.weight()) {
                return; // a weight put back says nothing of the server's place in the pool
            }
            fleet.apps().stream()
                    .filter(a -> c.backend() != null && c.backend().equals(backendOf(a)))
                    .forEach(a -> lb(host(a.name(), c.server()), upper(c.wanted()), t, null, null));
            return;
        }
        String app = appOf(d);
        if (app == null) {
            return;
        }
        String rid = event.releaseId();
        if (d instanceof HostDrained e) {
            lb(host(app, e.host()), "MAINT", t, e.stage(), rid);
        } else if (d instanceof HostEnabled e) {
            lb(host(app, e.host()), "READY", t, e.stage(), rid);
        } else if (d instanceof HostEnableFailed e) {
            lb(host(app, e.host()), "MAINT", t, e.stage(), rid);
        } else if (d instanceof HostUpdated e) {
            digest(host(app, e.host()), e.digest(), e.previousDigest(), t, e.stage(), rid);
        } else if (d instanceof HostUpdateFailed e) {
            // the swap failed and the host runs its previous container again
            digest(host(app, e.host()), e.previousDigest(), null, t, e.stage(), rid);
        }
    }

    private static String backendOf(Fleet.App a) {
        return a.backend() == null ? a.name() : a.backend();
    }

    private static String upper(String s) {
        return s == null ? "UNKNOWN" : s.toUpperCase(java.util.Locale.ROOT);
    }

    private HostState host(String app, String host) {
        dirtyHosts.add(app);
        return hosts.computeIfAbsent(app, a -> new HashMap<>())
                .computeIfAbsent(host, h -> new HostState());
    }

    private static void lb(HostState h, String state, Instant t, Stage stage, String rid) {
        if (!t.isBefore(h.lbAt)) {
            h.lbState = state;
            h.lbAt = t;
            touch(h, t, stage, rid);
        }
    }

    private static void digest(
            HostState h, String digest, String previous, Instant t, Stage stage, String rid) {
        if (!t.isBefore(h.digestAt)) {
            h.previousDigest = previous == null ? h.digest : previous;
            h.digest = digest;
            h.digestAt = t;
            touch(h, t, stage, rid);
        }
    }

    private static void touch(HostState h, Instant t, Stage stage, String rid) {
        if (h.updatedAt == null || !t.isBefore(h.updatedAt)) {
            h.updatedAt = t;
            if (stage != null) {
                h.lastStage = stage.name().toLowerCase(java.util.Locale.ROOT);
            }
            if (rid != null) {
                h.lastReleaseId = rid;
            }
        }
    }

    /** The app of a release, when known. */
    public synchronized Optional<String> appOfRelease(String releaseId) {
        Stored.Summary s = summaryOf(releaseId);
        return s == null ? Optional.empty() : Optional.ofNullable(s.app());
    }

    public synchronized Optional<CommandTarget> commandTarget(String releaseId) {
        if (summaryOf(releaseId) == null) {
            return Optional.empty();
        }
        Release r = hotOrLoad(releaseId);
        evict();
        if (r.events.isEmpty()) {
            return Optional.empty();
        }
        EventEnvelope<CanaryEvent> lastStep = null;
        for (int i = r.events.size() - 1; i >= 0 && lastStep == null; i--) {
            EventEnvelope<CanaryEvent> e = r.events.get(i).event();
            if (!ANALYSIS_TYPES.contains(e.type())) {
                lastStep = e;
            }
        }
        return Optional.of(
                new CommandTarget(
                        r.id,
                        r.now.app,
                        r.now.stateOrPending(),
                        r.events.get(r.events.size() - 1).event(),
                        lastStep));
    }

    /** Why a deploy does not apply: the sentence, and the release and state it is about. */
    public record DeployRefusal(String sentence, String releaseId, Phase state) {}

    /**
     * Why a deploy of {@code digest} to {@code app} does not apply, if it does not: a release of
     * that image is already on its way (neither final nor PROMOTED), or no release of the app is
     * open and every docker host already runs it. A deploy of another image while a release is open
     * applies: deploy-service queues it behind a promotion and lets it replace a canary.
     */
    public synchronized Optional<DeployRefusal> deployRefusal(String app, String digest) {
        boolean open = false;
        for (Stored.Summary r : index.values()) {
            if (!app.equals(r.app())) {
                continue;
            }
            Phase state = r.state() == null ? Phase.PENDING : r.state();
            if (state.ended() || state == Phase.PROMOTED) {
                continue;
            }
            open = true;
            if (digest.equals(r.digest())) {
                return Optional.of(
                        new DeployRefusal(
                                "release "
                                        + r.id()
                                        + " of "
                                        + digest
                                        + " is already "
                                        + state
                                        + ": follow it, or abort it before deploying it again",
                                r.id(),
                                state));
            }
        }
        if (open) {
            return Optional.empty();
        }
        Map<String, HostState> on = hosts.getOrDefault(app, Map.of());
        List<Fleet.Host> docker = fleet.dockerHosts();
        if (!docker.isEmpty()
                && docker.stream()
                        .allMatch(
                                h ->
                                        on.get(h.name()) != null
                                                && digest.equals(on.get(h.name()).digest))) {
            String last =
                    docker.stream()
                            .map(h -> on.get(h.name()).lastReleaseId)
                            .filter(java.util.Objects::nonNull)
                            .findFirst()
                            .orElse(null);
            Stored.Summary l = last == null ? null : summaryOf(last);
            return Optional.of(
                    new DeployRefusal(
                            "every host of "
                                    + app
                                    + " already runs "
                                    + digest
                                    + (l == null
                                            ? ""
                                            : " (release " + last + ", " + l.state() + ")")
                                    + ": there is nothing to deploy",
                            last,
                            l == null ? null : l.state()));
        }
        return Optional.empty();
    }

    /**
     * One page of the list, newest first: the releases in memory and the paged ones merged; only
     * the pages the window falls in are read (under the lock).
     */
    public synchronized Page<ReleaseSummary> list(
            String app, Set<Phase> states, int page, int size) {
        long from = (long) page * size;
        List<Stored.Summary> memory = new ArrayList<>();
        for (Order o : order) {
            Stored.Summary r = index.get(o.id());
            if (matches(r, app, states)) {
                memory.add(r);
            }
        }
        String chain = app == null ? Pages.ALL : app;
        long total = memory.size();
        List<Stored.Summary> window;
        if (pageReader == null) {
            window =
                    memory.subList(
                            (int) Math.min(from, memory.size()),
                            (int) Math.min(from + size, memory.size()));
        } else {
            for (Stored.PageRef p : pages.chain(chain)) {
                total += Pages.matches(p, states);
            }
            for (Stored.Summary paged : back.values()) {
                if (matches(paged, app, states)) {
                    total--; // counted in memory already
                }
            }
            window = pages.window(memory, index.keySet(), chain, states, from, size, pageReader);
        }
        List<ReleaseSummary> items = new ArrayList<>();
        for (Stored.Summary r : window) {
            items.add(
                    new ReleaseSummary(
                            r.id(),
                            r.app(),
                            r.state(),
                            r.ref(),
                            r.commitSha(),
                            r.pusher(),
                            r.digest(),
                            r.createdAt(),
                            r.updatedAt()));
        }
        return new Page<>(items, page, size, total);
    }

    private static boolean matches(Stored.Summary r, String app, Set<Phase> states) {
        return (app == null || app.equals(r.app()))
                && (states == null || states.isEmpty() || states.contains(r.state()));
    }

    /** Releases leaving memory, and paged ones that came back, with what to write for them. */
    public record PageOut(List<Stored.Summary> out, List<Stored.Summary> back, Pages.Plan plan) {}

    /**
     * What the next page-out writes: the settled releases past the newest {@code index-releases}
     * whose latest version is stored, and the paged releases that came back into memory. The plan
     * reads the pages it changes (outside the lock; only the snapshot writer calls it, and only
     * {@link #pagedOut} changes the directory). Null when there is nothing to do.
     */
    public PageOut pageOut(List<String> pendingTombstones) {
        List<Stored.Summary> out = new ArrayList<>();
        List<Stored.Summary> came;
        Pages.Reader reader;
        synchronized (this) {
            if (pageReader == null) {
                return null;
            }
            reader = pageReader;
            int settled = 0;
            for (Order o : order) {
                Stored.Summary s = index.get(o.id());
                if (!settled(s.state())) {
                    continue;
                }
                if (++settled > indexReleases
                        && s.stored()
                        && !dirty.contains(s.id())
                        && !back.containsKey(s.id())) {
                    out.add(s);
                    if (out.size() >= PAGE_OUT_BATCH) {
                        break;
                    }
                }
            }
            came = List.copyOf(back.values());
        }
        if (out.isEmpty() && came.isEmpty()) {
            return null;
        }
        return new PageOut(out, came, pages.plan(out, came, pendingTombstones, reader));
    }

    /**
     * The directory records of an acknowledged page-out (key to value, for {@code
     * gateway.releases}).
     */
    public synchronized Map<String, Object> directory(PageOut p) {
        return pages.directory(p.plan());
    }

    /**
     * A page-out's records and directory are acknowledged: the releases it paged leave memory (one
     * that changed meanwhile stays, as come back), those it unpaged are in memory only.
     *
     * @return the ids that left memory (their {@code release:<id>} is to be deleted)
     */
    public synchronized List<String> pagedOut(PageOut p) {
        pages.commit(p.plan());
        for (Stored.Summary s : p.back()) {
            back.remove(s.id(), s);
        }
        List<String> gone = new ArrayList<>();
        for (Stored.Summary s : p.out()) {
            if (index.get(s.id()) == s && !dirty.contains(s.id())) {
                index.remove(s.id());
                order.remove(new Order(s.createdAt(), s.id()));
                hot.remove(s.id());
                gone.add(s.id());
            } else {
                back.put(s.id(), s); // changed while it was written: its paged copy goes next
            }
        }
        return gone;
    }

    /**
     * The tombstones of paged releases' {@code release:<id>} are acknowledged.
     *
     * @return the {@code buckets} record without them, to write
     */
    public synchronized Stored.Buckets tombstoned(Collection<String> ids) {
        pages.tombstoned(ids);
        return pages.buckets();
    }

    /** Releases in pages (out of memory). */
    public synchronized long paged() {
        return pages.total();
    }

    /**
     * The newest paged summaries, at most {@code limit}, oldest first (to refill the push dedupe
     * beyond the releases in memory): reads the newest pages of every app's chain.
     */
    public synchronized List<Stored.Summary> pagedOldestFirst(int limit) {
        List<Stored.Summary> out = new ArrayList<>();
        if (pageReader == null) {
            return out;
        }
        for (Stored.PageRef p : pages.chain(Pages.ALL)) {
            if (out.size() >= limit) {
                break;
            }
            for (Stored.Summary s : pageReader.page(p).releases()) {
                if (out.size() < limit) out.add(s);
            }
        }
        java.util.Collections.reverse(out);
        return out;
    }

    /**
     * One release with its timeline: from memory, or read from the durable store for a release no
     * longer held (its detail outside the lock; a paged release's bucket, one record, under it).
     */
    public Optional<ReleaseDetail> detail(String releaseId) {
        Stored.Summary s;
        DetailSource src;
        synchronized (this) {
            Release r = hot.get(releaseId);
            if (r != null) {
                return Optional.of(view(r));
            }
            s = index.get(releaseId);
            src = source;
            if (s == null && pageReader != null) {
                long[] at = pages.bucketAt(releaseId);
                if (at != null) {
                    s =
                            pageReader
                                    .bucket((int) at[0], (int) at[1], at[2])
                                    .releases()
                                    .get(releaseId);
                }
            }
        }
        if (s == null || src == null || !s.stored()) {
            return Optional.empty();
        }
        Optional<Stored.Detail> d = src.load(s);
        if (d.isEmpty()) {
            return Optional.empty();
        }
        Release r = fromStored(d.get());
        synchronized (this) {
            Release now = hot.get(releaseId);
            return Optional.of(view(now != null ? now : r));
        }
    }

    private ReleaseDetail view(Release r) {
        List<HostStatus> hostViews = new ArrayList<>();
        Fold f = r.now;
        Map<String, HostState> ofApp =
                f.app == null ? Map.of() : hosts.getOrDefault(f.app, Map.of());
        for (Fleet.Host h : fleet.dockerHosts()) {
            HostState s = ofApp.get(h.name());
            String role = fleet.rollout().canary().contains(h.name()) ? "canary" : "production";
            if (s == null) {
                hostViews.add(
                        new HostStatus(
                                h.name(), role, null, null, "UNKNOWN", false, null, null, null));
            } else {
                hostViews.add(
                        new HostStatus(
                                h.name(),
                                role,
                                s.digest,
                                s.previousDigest,
                                s.lbState,
                                f.digest != null && f.digest.equals(s.digest),
                                s.lastStage,
                                s.lastReleaseId,
                                s.updatedAt));
            }
        }
        List<TimelineEntry> timeline =
                r.events.stream()
                        .map(
                                x ->
                                        new TimelineEntry(
                                                x.event().id(),
                                                x.event().type().shortName(),
                                                x.event().time(),
                                                x.event().source(),
                                                x.event().causationId(),
                                                x.position(),
                                                x.event().data()))
                        .toList();
        return new ReleaseDetail(
                r.id,
                f.app,
                f.stateOrPending(),
                f.repository,
                f.ref,
                f.commitSha,
                f.pusher,
                f.deliveryId,
                f.image,
                f.tag,
                f.digest,
                f.reason,
                r.createdAt(),
                r.updatedAt(),
                hostViews,
                timeline,
                r.dropped,
                AnalysisView.of(timeline));
    }
}
