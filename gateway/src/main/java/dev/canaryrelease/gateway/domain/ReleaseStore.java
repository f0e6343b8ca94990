package dev.canaryrelease.gateway.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import dev.canaryrelease.events.EventEnvelope;
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
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.gateway.domain.Views.HostStatus;
import dev.canaryrelease.gateway.domain.Views.Page;
import dev.canaryrelease.gateway.domain.Views.ReleaseDetail;
import dev.canaryrelease.gateway.domain.Views.ReleaseSummary;
import dev.canaryrelease.gateway.domain.Views.TimelineEntry;

/**
 * The release read model: every event of every release, folded in event-time order (a replay reads
 * the six topics in any interleaving, so arrival order across topics means nothing), and the
 * current digest and load-balancer state of every (app, host). All methods are synchronized: one
 * consumer thread writes, REST threads read snapshots.
 */
@ApplicationScoped
public class ReleaseStore {

    /** What an operator command needs: the state and the event to name as the cause. */
    public record CommandTarget(
            String releaseId, String app, ReleaseState state, EventEnvelope<CanaryEvent> latest) {}

    record Recorded(long seq, String position, EventEnvelope<CanaryEvent> event) {}

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

    private static final class Release {
        final String id;
        final List<Recorded> events = new ArrayList<>();
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
        ReleaseState state = ReleaseState.PENDING;

        Release(String id) {
            this.id = id;
        }

        Instant createdAt() {
            return events.get(0).event().time();
        }

        Instant updatedAt() {
            return events.get(events.size() - 1).event().time();
        }

        void refold() {
            ReleaseState s = null;
            for (Recorded r : events) {
                CanaryEvent d = r.event().data();
                s = ReleaseStateMachine.next(s, d);
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
            state = s == null ? ReleaseState.PENDING : s;
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
    private final Map<String, Release> releases = new HashMap<>();
    private final Map<String, Map<String, HostState>> hosts = new HashMap<>();
    private long seq;

    public ReleaseStore(Fleet fleet) {
        this.fleet = fleet;
    }

    /** The {@code app} field of an event's data, when it has one. */
    public static String appOf(CanaryEvent d) {
        return d instanceof dev.canaryrelease.events.model.OfApp a ? a.app() : null;
    }

    /**
     * Adds one event (idempotent by event id).
     *
     * @return the app of the event's release, when known
     */
    public synchronized String apply(EventEnvelope<CanaryEvent> event, String position) {
        CanaryEvent d = event.data();
        updateHosts(event);
        if (CanaryEvent.NO_RELEASE.equals(event.releaseId())) {
            return appOf(d);
        }
        Release r = releases.computeIfAbsent(event.releaseId(), Release::new);
        for (Recorded x : r.events) {
            if (x.event().id().equals(event.id())) {
                return r.app;
            }
        }
        Recorded rec = new Recorded(seq++, position, event);
        r.events.add(insertionPoint(r.events, rec), rec);
        r.refold();
        return r.app;
    }

    /**
     * Where {@code rec} goes among a release's events: after its cause and after the events before
     * it in its own partition (offset order), before its effects and the later events of its
     * partition, and by CloudEvent time between those bounds. So producers' clock skew, or the
     * order in which a replay reads several topics, cannot put an event before the one that caused
     * it (see {@code ReplayOrder} in events/).
     */
    static int insertionPoint(List<Recorded> events, Recorded rec) {
        int lo = 0;
        int hi = events.size();
        for (int j = 0; j < events.size(); j++) {
            Recorded x = events.get(j);
            if (x.event().id().equals(rec.event().causationId()) || earlierInPartition(x, rec)) {
                lo = Math.max(lo, j + 1);
            }
            if (rec.event().id().equals(x.event().causationId()) || earlierInPartition(rec, x)) {
                hi = Math.min(hi, j);
            }
        }
        if (hi < lo) {
            return lo; // no order satisfies both: the cause wins
        }
        int i = hi;
        while (i > lo && TIME_ORDER.compare(events.get(i - 1), rec) > 0) {
            i--;
        }
        return i;
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
        Release r = releases.get(releaseId);
        return r == null ? Optional.empty() : Optional.ofNullable(r.app);
    }

    public synchronized Optional<CommandTarget> commandTarget(String releaseId) {
        Release r = releases.get(releaseId);
        if (r == null) {
            return Optional.empty();
        }
        return Optional.of(
                new CommandTarget(r.id, r.app, r.state, r.events.get(r.events.size() - 1).event()));
    }

    public synchronized Page<ReleaseSummary> list(
            String app, Set<ReleaseState> states, int page, int size) {
        List<Release> matching =
                releases.values().stream()
                        .filter(r -> app == null || app.equals(r.app))
                        .filter(r -> states == null || states.isEmpty() || states.contains(r.state))
                        .sorted(
                                Comparator.comparing(Release::createdAt)
                                        .reversed()
                                        .thenComparing(r -> r.id))
                        .toList();
        int from = (int) Math.min((long) page * size, matching.size());
        int to = Math.min(from + size, matching.size());
        List<ReleaseSummary> items =
                matching.subList(from, to).stream()
                        .map(
                                r ->
                                        new ReleaseSummary(
                                                r.id,
                                                r.app,
                                                r.state,
                                                r.ref,
                                                r.commitSha,
                                                r.pusher,
                                                r.digest,
                                                r.createdAt(),
                                                r.updatedAt()))
                        .toList();
        return new Page<>(items, page, size, matching.size());
    }

    public synchronized Optional<ReleaseDetail> detail(String releaseId) {
        Release r = releases.get(releaseId);
        if (r == null) {
            return Optional.empty();
        }
        List<HostStatus> hostViews = new ArrayList<>();
        Map<String, HostState> ofApp =
                r.app == null ? Map.of() : hosts.getOrDefault(r.app, Map.of());
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
                                r.digest != null && r.digest.equals(s.digest),
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
        return Optional.of(
                new ReleaseDetail(
                        r.id,
                        r.app,
                        r.state,
                        r.repository,
                        r.ref,
                        r.commitSha,
                        r.pusher,
                        r.deliveryId,
                        r.image,
                        r.tag,
                        r.digest,
                        r.reason,
                        r.createdAt(),
                        r.updatedAt(),
                        hostViews,
                        timeline));
    }
}
