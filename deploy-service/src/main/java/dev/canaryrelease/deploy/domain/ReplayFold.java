package dev.canaryrelease.deploy.domain;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.OnHost;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.release.Phase;

/**
 * History folded into releases without acting on it, as the start-up replay does, and kept between
 * chunks of history so that a snapshot can stand for everything before it (pure: no Kafka).
 *
 * <p>Every input event goes through {@link Rollouts}; each command it decides is remembered with
 * its cause until the history shows it done: an {@code Emit} by our own event of that type caused
 * by the same event (for the same host), a {@code Swap} or {@code Restore} by our {@code
 * host.updated} or {@code host.update-failed} caused by it. Timers are kept while they still
 * matter: the autoPromote while the release is CANARY_LIVE, the promotion deadline while it is
 * PROMOTING (and still its current deadline: a pause moves it), an lb-answer deadline while the
 * host still waits in that step, a phase announcement while it is still the release's phase. What
 * is left after {@link #settle()} is what was decided but never done: the start-up carries it out.
 *
 * <p>A cause comes before its effect in history (a cause is appended before the effect is decided),
 * so a command's done event is never read before the command is decided, and what was matched can
 * be forgotten at each {@link #settle()}. Not thread-safe.
 */
public final class ReplayFold {
    /** Our own events that are results the machine needs (the rest it derives itself). */
    public static final Set<EventType> OWN_INPUTS =
            Set.of(
                    EventType.HOST_UPDATED,
                    EventType.HOST_UPDATE_FAILED,
                    EventType.PROMOTION_REQUESTED,
                    EventType.ABORT_REQUESTED,
                    EventType.HOST_ANSWER_TIMED_OUT);

    /** Event ids remembered to skip an event met twice. */
    static final int SEEN = 50_000;

    /** A command with the event that caused it. */
    public record Pending(Command command, EventEnvelope<?> cause) {}

    private final Rollouts rollouts;
    private final String ownSource;
    private final List<Pending> outstanding;
    private final Set<String> doneKeys = new HashSet<>();
    private final Map<String, Long> next;
    private final Map<String, Boolean> seen =
            new LinkedHashMap<>(1024, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > SEEN;
                }
            };
    private int decided;

    /**
     * @param rollouts the releases so far (empty, or a snapshot's)
     * @param ownSource this service's CloudEvent source
     * @param outstanding what the snapshot says was decided and not yet done
     * @param next per {@code topic:partition}, the next offset the fold has not read
     */
    public ReplayFold(
            Rollouts rollouts,
            String ownSource,
            List<Pending> outstanding,
            Map<String, Long> next) {
        this.rollouts = rollouts;
        this.ownSource = ownSource;
        this.outstanding = new ArrayList<>(outstanding);
        this.next = new LinkedHashMap<>(next);
    }

    /** Folds one event of history (in replay order). */
    public void apply(EventEnvelope<CanaryEvent> e) {
        boolean own = e.source().equals(ownSource);
        if (own) doneKeys.add(key(e.type(), e.causationId(), e.data()));
        if (own && !OWN_INPUTS.contains(e.type())) return;
        if (seen.put(e.id(), Boolean.TRUE) != null) return;
        Rollouts.Outcome o = rollouts.handle(e);
        for (Command c : o.commands()) {
            outstanding.add(new Pending(c, e));
            decided++;
        }
    }

    /** Every record of {@code topic}'s partition before {@code nextOffset} has been folded. */
    public void passed(String topicPartition, long nextOffset) {
        next.put(topicPartition, nextOffset);
    }

    /**
     * Forgets what the history shows done and the timers that no longer matter; what remains is
     * {@link #outstanding()}.
     */
    public void settle() {
        outstanding.removeIf(this::done);
        doneKeys.clear();
    }

    private boolean done(Pending p) {
        Command c = p.command();
        String cause = p.cause().id();
        if (c instanceof Command.Emit em) {
            if (em.data() instanceof ReleasePhaseChanged pc
                    && !inPhase(pc.releaseId(), pc.phase())) {
                // a later move replaced it: readers only need the last announcement. History
                // written before announcements existed so gets one per release, of its phase now.
                return true;
            }
            return doneKeys.contains(key(EventType.of(em.data()), cause, em.data()));
        } else if (c instanceof Command.Swap sw) {
            return swapDone(cause, sw.releaseId(), sw.host());
        } else if (c instanceof Command.Restore rs) {
            return swapDone(cause, rs.releaseId(), rs.host());
        } else if (c instanceof Command.ScheduleAnswerDeadline a) {
            // only the waits still open: a finished one needs no timer
            return !awaiting(a.releaseId(), a.host(), a.awaiting());
        } else if (c instanceof Command.ScheduleAutoPromotion a) {
            return !inPhase(a.releaseId(), Phase.CANARY_LIVE);
        } else if (c instanceof Command.SchedulePromotionDeadline d) {
            // while paused, or moved by a pause: the resume scheduled the one that counts
            return rollouts.release(d.releaseId())
                    .filter(r -> r.promotionDeadlineDue(d.at()))
                    .isEmpty();
        }
        return false;
    }

    private boolean swapDone(String causeId, String releaseId, String host) {
        return doneKeys.contains(key(EventType.HOST_UPDATED, causeId, releaseId, host))
                || doneKeys.contains(key(EventType.HOST_UPDATE_FAILED, causeId, releaseId, host));
    }

    private boolean inPhase(String releaseId, Phase phase) {
        return rollouts.release(releaseId).filter(r -> r.phase() == phase).isPresent();
    }

    /** True while {@code host} of the release still waits in {@code step}. */
    public boolean awaiting(String releaseId, String host, HostStep step) {
        return rollouts.release(releaseId)
                .map(r -> r.host(host))
                .filter(h -> h.step() == step)
                .isPresent();
    }

    /**
     * One effect of one cause: an event can cause effects on several releases (a push supersedes
     * one release and starts another, both announce their phase), so the release is in the key.
     */
    private static String key(EventType type, String causeId, CanaryEvent effect) {
        return key(type, causeId, effect.releaseId(), hostOf(effect));
    }

    private static String key(EventType type, String causeId, String releaseId, String host) {
        return type.name() + "|" + causeId + "|" + releaseId + "|" + host;
    }

    private static String hostOf(CanaryEvent d) {
        return d instanceof OnHost h ? h.host() : "";
    }

    /** The releases. */
    public Rollouts rollouts() {
        return rollouts;
    }

    /** Decided and not (yet) shown done, in the order decided. */
    public List<Pending> outstanding() {
        return Collections.unmodifiableList(outstanding);
    }

    /** Per {@code topic:partition}, the next offset not folded yet. */
    public Map<String, Long> next() {
        return Collections.unmodifiableMap(next);
    }

    /** The ids of the events folded most recently (at most {@link #SEEN}). */
    public Set<String> seen() {
        return Collections.unmodifiableSet(seen.keySet());
    }

    /** Commands decided by this fold (not counting a snapshot's). */
    public int decided() {
        return decided;
    }
}
