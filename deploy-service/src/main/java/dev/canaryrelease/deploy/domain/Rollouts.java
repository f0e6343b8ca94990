package dev.canaryrelease.deploy.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.DeployRequested;
import dev.canaryrelease.events.model.ImagePushed;

/**
 * Every release, and the rule of one active rollout per app: a new image during a canary supersedes
 * it, during a promotion (or a rollback, or while hosts are still going back) it waits and starts
 * when the app's slot is free. Deterministic: the same events in the same order give the same
 * releases and commands, which is how the state is rebuilt from Kafka at start. Not thread-safe.
 */
public final class Rollouts {

    /** What one event did: the commands to run and the reasons of refused parts (may be empty). */
    public record Outcome(List<Command> commands, List<String> rejections) {
        public boolean rejected() {
            return !rejections.isEmpty() && commands.isEmpty();
        }
    }

    private final Map<String, Release> releases = new LinkedHashMap<>();

    /** Each release's place in first-seen order (the order of {@link #releases}). */
    private final Map<String, Long> seen = new HashMap<>();

    /**
     * The releases that hold or wait for their app's slot (blocking or queued), in first-seen
     * order: the only ones a new image or a freed slot looks at, so an event costs the same with
     * 10,000 releases of history as with ten.
     */
    private final TreeMap<Long, String> open = new TreeMap<>();

    private final Set<String> changed = new LinkedHashSet<>();
    private final Policy policy;
    private final Set<String> apps;

    public Rollouts(Policy policy, Set<String> apps) {
        this.policy = policy;
        this.apps = Set.copyOf(apps);
    }

    /**
     * The releases of a snapshot, in the order they were first seen (which decides what a queue
     * starts next); none counts as changed.
     */
    public static Rollouts restored(Policy policy, Set<String> apps, List<Release> inOrder) {
        Rollouts r = new Rollouts(policy, apps);
        for (Release x : inOrder) r.put(x);
        return r;
    }

    /**
     * The live releases with those of the apps {@code takeOver} names replaced by {@code fold}'s
     * (issue 19: an instance given an app's partition takes the app's releases from the fold of its
     * history, and keeps its own, which run ahead of their events, for the apps it already had).
     * First-seen order is the fold's, then releases only {@code live} has.
     */
    public static Rollouts merged(
            Rollouts live, Rollouts fold, java.util.function.Predicate<String> takeOver) {
        List<Release> inOrder = new ArrayList<>();
        Set<String> ids = new java.util.HashSet<>();
        for (Release f : fold.releases.values()) {
            Release r = takeOver.test(f.app()) ? f : live.releases.getOrDefault(f.id(), f);
            inOrder.add(r);
            ids.add(r.id());
        }
        for (Release l : live.releases.values()) {
            if (!ids.contains(l.id()) && !takeOver.test(l.app())) inOrder.add(l);
        }
        return restored(live.policy, live.apps, inOrder);
    }

    /** An independent copy (the releases themselves are immutable and shared). */
    public Rollouts copy() {
        Rollouts r = new Rollouts(policy, apps);
        r.releases.putAll(releases);
        r.seen.putAll(seen);
        r.open.putAll(open);
        r.changed.addAll(changed);
        return r;
    }

    /** The ids of the releases changed or added since the last call, in first-seen order. */
    public Set<String> takeChanged() {
        Set<String> out = new LinkedHashSet<>();
        for (String id : releases.keySet()) {
            if (changed.contains(id)) out.add(id);
        }
        changed.clear();
        return out;
    }

    /** Marks releases as changed again (a snapshot write that failed). */
    public void unwritten(Collection<String> ids) {
        changed.addAll(ids);
    }

    public Policy policy() {
        return policy;
    }

    public Optional<Release> release(String id) {
        return Optional.ofNullable(releases.get(id));
    }

    public Collection<Release> releases() {
        return List.copyOf(releases.values());
    }

    public Outcome handle(EventEnvelope<? extends CanaryEvent> e) {
        List<Command> commands = new ArrayList<>();
        List<String> rejections = new ArrayList<>();
        CanaryEvent d = e.data();
        String id = e.releaseId();
        Instant at = e.time();
        Release r = releases.get(id);
        if (r == null) {
            String app = appOf(d);
            if (app == null) {
                rejections.add(Reasons.UNKNOWN_RELEASE);
                return new Outcome(commands, rejections);
            }
            if (!apps.contains(app)) {
                rejections.add(Reasons.UNKNOWN_APP + ": " + app);
                return new Outcome(commands, rejections);
            }
            r = Release.pending(id, app, at);
            put(r);
            changed.add(id);
            if (d instanceof BuildRequested) {
                return new Outcome(commands, rejections);
            }
        }
        if (d instanceof ImagePushed ip) {
            return imagePushed(r, ip, e, commands, rejections);
        }
        if (d instanceof DeployRequested dr) {
            // an operator's chosen image (a retry, a chosen version): rolled out as a pushed one
            return imagePushed(r, dr.image(), e, commands, rejections);
        }
        boolean wasBlocking = r.blocking();
        ReleaseMachine.Transition t = ReleaseMachine.apply(r, e, policy);
        collect(t, commands, rejections);
        if (wasBlocking && !t.release().blocking()) {
            startQueued(r.app(), at, commands, rejections);
        }
        return new Outcome(commands, rejections);
    }

    private Outcome imagePushed(
            Release r,
            ImagePushed ip,
            EventEnvelope<? extends CanaryEvent> e,
            List<Command> commands,
            List<String> rejections) {
        Instant at = e.time();
        if (!r.phase().beforeRollout()) {
            rejections.add(Reasons.ALREADY_ROLLING_OUT);
            return new Outcome(commands, rejections);
        }
        // Older images still waiting are replaced by this one.
        for (Release q : others(r)) {
            if (q.queued())
                collect(ReleaseMachine.supersede(q, r.id(), policy, at), commands, rejections);
        }
        Optional<Release> active = others(r).stream().filter(Release::blocking).findFirst();
        if (active.isPresent() && active.get().phase().canary()) {
            collect(
                    ReleaseMachine.supersede(active.get(), r.id(), policy, at),
                    commands,
                    rejections);
            active = others(r).stream().filter(Release::blocking).findFirst();
        }
        if (active.isEmpty()) {
            collect(ReleaseMachine.apply(r, e, policy), commands, rejections);
        } else {
            collect(ReleaseMachine.queue(r, ip, at), commands, rejections);
        }
        return new Outcome(commands, rejections);
    }

    private void startQueued(
            String app, Instant at, List<Command> commands, List<String> rejections) {
        boolean busy = openReleases().anyMatch(x -> x.app().equals(app) && x.blocking());
        if (busy) return;
        openReleases()
                .filter(x -> x.app().equals(app) && x.queued())
                .reduce((a, b) -> b)
                .ifPresent(q -> collect(ReleaseMachine.start(q, policy, at), commands, rejections));
    }

    /** The other releases of r's app that hold or wait for its slot, in first-seen order. */
    private List<Release> others(Release r) {
        return openReleases()
                .filter(x -> x.app().equals(r.app()) && !x.id().equals(r.id()))
                .toList();
    }

    private java.util.stream.Stream<Release> openReleases() {
        return List.copyOf(open.values()).stream().map(releases::get);
    }

    /** Stores a release (new or a new version), keeping {@link #open} in step; true if new. */
    private boolean put(Release x) {
        Release old = releases.put(x.id(), x);
        long at = seen.computeIfAbsent(x.id(), k -> (long) seen.size());
        if (x.queued() || x.blocking()) {
            open.put(at, x.id());
        } else {
            open.remove(at);
        }
        return old != x;
    }

    private void collect(
            ReleaseMachine.Transition t, List<Command> commands, List<String> rejections) {
        if (put(t.release())) {
            changed.add(t.release().id());
        }
        commands.addAll(t.commands());
        if (t.rejected()) rejections.add(t.release().id() + ": " + t.rejection());
    }

    private static String appOf(CanaryEvent d) {
        if (d instanceof BuildRequested b) return b.app();
        if (d instanceof BuildStarted b) return b.app();
        if (d instanceof BuildSucceeded b) return b.app();
        if (d instanceof ImagePushed i) return i.app();
        if (d instanceof DeployRequested i) return i.app();
        return null;
    }
}
