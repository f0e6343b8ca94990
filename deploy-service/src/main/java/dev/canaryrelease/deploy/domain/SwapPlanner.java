package dev.canaryrelease.deploy.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.canaryrelease.deploy.domain.SwapAction.Create;
import dev.canaryrelease.deploy.domain.SwapAction.Pull;
import dev.canaryrelease.deploy.domain.SwapAction.ReadLogs;
import dev.canaryrelease.deploy.domain.SwapAction.Remove;
import dev.canaryrelease.deploy.domain.SwapAction.Rename;
import dev.canaryrelease.deploy.domain.SwapAction.Start;
import dev.canaryrelease.deploy.domain.SwapAction.Stop;
import dev.canaryrelease.deploy.domain.SwapPlan.CheckHealth;
import dev.canaryrelease.deploy.domain.SwapPlan.ObserveAgain;
import dev.canaryrelease.deploy.domain.SwapPlan.Recovered;
import dev.canaryrelease.deploy.domain.SwapPlan.Report;
import dev.canaryrelease.deploy.domain.SwapPlan.RestoreThenReport;
import dev.canaryrelease.events.ImageLabels;
import dev.canaryrelease.fleet.Fleet;

/**
 * The container swap on one drained host as a pure plan: what the host should run ({@link Wanted})
 * and what it shows ({@link Observation}) give the actions ({@link SwapPlan}); a health verdict
 * gives the actions after it ({@link #afterHealth}). No I/O: the executor (deploy's {@code
 * client/SwapService}) observes, carries the plan out and comes back with what it saw.
 *
 * <p>Every operation first makes the host consistent after an interrupted swap (a crash, an engine
 * that stopped answering): never two app containers running (the named one wins), an old container
 * stopped but not renamed is started again, a new one created but never started is removed and the
 * previous one comes back. Then:
 *
 * <ul>
 *   <li><b>swap</b>: pull by digest (unless the image is there), stop the app container, rename it
 *       to {@code <name>-<sha12>} (replacing a namesake), create its successor with the same
 *       settings and the digest labels, start it, check its health. Healthy: keep the last {@code
 *       retained} previous containers. Unhealthy: remove the new one, rename the previous one back
 *       and start it. A host that already runs the digest only gets the health check (and, if
 *       unhealthy, a restore of the digest before it).
 *   <li><b>restore</b>: start the retained container of the digest again (no pull), or keep what
 *       runs when the digest is null or already running; without a retained one, swap to it.
 * </ul>
 */
public final class SwapPlanner {
    private SwapPlanner() {}

    /**
     * What the host should run.
     *
     * @param container the app's container name
     * @param image the image name without tag, {@code <registry>/<repository>}
     * @param digest the manifest digest wanted; for a restore null means "keep what runs"
     * @param fresh the settings of the app's container on a host that has none yet
     * @param retained previous containers kept per app and host
     */
    public record Wanted(
            String container, String image, String digest, ContainerSpec fresh, int retained) {

        /** The app on the host at {@code digest}, from the fleet. */
        public static Wanted of(
                Fleet fleet, Fleet.App app, Fleet.Host host, String digest, int retained) {
            List<String> env = new ArrayList<>();
            if (app.env() != null) app.env().forEach((k, v) -> env.add(k + "=" + v));
            env.add("CANARY_HOST=" + host.name());
            ContainerSpec fresh =
                    new ContainerSpec(
                            null,
                            app.container(),
                            null,
                            null,
                            env,
                            null,
                            null,
                            null,
                            null,
                            "unless-stopped",
                            0,
                            null,
                            List.of(
                                    new ContainerSpec.PortBinding(
                                            app.port() + "/tcp",
                                            host.address(),
                                            Integer.toString(app.port()))),
                            null,
                            null,
                            null,
                            null);
            return new Wanted(
                    app.container(),
                    fleet.registry().imageName(app.image()),
                    digest,
                    fresh,
                    retained);
        }

        /** The image reference by digest, null without one. */
        public String reference() {
            return digest == null ? null : image + "@" + digest;
        }

        public Wanted at(String otherDigest) {
            return new Wanted(container, image, otherDigest, fresh, retained);
        }
    }

    /** One app container as observed, with the manifest digest it runs (null when unknown). */
    public record Seen(ContainerSpec spec, String digest) {
        public String id() {
            return spec.id();
        }

        public String name() {
            return spec.name();
        }

        public boolean running() {
            return spec.running();
        }
    }

    /**
     * The app's containers on a host (any state, named {@code <name>} or {@code <name>-<sha12>}),
     * whether the wanted image is there, and the defaults of the app container's image.
     */
    public record Observation(List<Seen> containers, boolean imagePresent, ImageConfig mainImage) {
        public Observation {
            containers = List.copyOf(containers);
            mainImage = mainImage == null ? ImageConfig.NONE : mainImage;
        }

        /** The container named {@code name}, the one the app runs as. */
        public Optional<Seen> main(String name) {
            return containers.stream().filter(c -> c.name().equals(name)).findFirst();
        }

        /** The previous containers, the one that stopped last first. */
        public List<Seen> retainedNewestFirst(String name) {
            return containers.stream()
                    .filter(c -> !c.name().equals(name))
                    .sorted(BY_LAST_STOPPED.reversed())
                    .toList();
        }
    }

    public enum Kind {
        SWAP,
        RESTORE,
        /** Only make the host consistent (at start). */
        RECOVER
    }

    /** How far an operation's crash recovery went. */
    public enum Recovery {
        /** Not looked at yet. */
        CHECK,
        /** A second running app container was stopped; the rest of the recovery follows. */
        EXTRAS_STOPPED,
        /** Recovered (or nothing was needed): plan the operation itself. */
        DONE
    }

    /** Orders containers by when they last stopped, then by when they were created. */
    public static final Comparator<Seen> BY_LAST_STOPPED =
            Comparator.comparing(
                            (Seen c) ->
                                    c.spec().finishedAt() == null
                                            ? Instant.EPOCH
                                            : c.spec().finishedAt())
                    .thenComparing(
                            c -> c.spec().created() == null ? Instant.EPOCH : c.spec().created());

    /** The next plan of an operation on what the host shows. */
    public static SwapPlan plan(Kind kind, Wanted w, Observation o, Recovery recovery) {
        if (recovery != Recovery.DONE) {
            SwapPlan r = recovery(w.container(), o, recovery);
            if (r != null) return r;
        }
        return switch (kind) {
            case RECOVER -> new SwapPlan("nothing to recover", List.of(), new Recovered());
            case SWAP -> swap(w, o, "swapping " + w.container() + " to " + w.digest());
            case RESTORE -> restore(w, o);
        };
    }

    /** The recovery of an interrupted swap, or null when the host is consistent. */
    static SwapPlan recovery(String name, Observation o, Recovery stage) {
        List<Seen> all = o.containers();
        List<Seen> running = all.stream().filter(Seen::running).toList();
        if (stage == Recovery.CHECK && running.size() > 1) {
            Seen keep =
                    running.stream()
                            .filter(c -> c.name().equals(name))
                            .findFirst()
                            .orElse(running.get(0));
            List<SwapAction> actions = new ArrayList<>();
            List<String> done = new ArrayList<>();
            for (Seen c : running) {
                if (!c.id().equals(keep.id())) {
                    actions.add(new Stop(c.id()));
                    done.add("stopped " + c.name() + " (two app containers were running)");
                }
            }
            return new SwapPlan(
                    String.join(", ", done), actions, new ObserveAgain(Recovery.EXTRAS_STOPPED));
        }
        Optional<Seen> main = o.main(name);
        Optional<Seen> last = all.stream().filter(c -> !c.name().equals(name)).max(BY_LAST_STOPPED);
        if (main.isEmpty() && last.isPresent()) {
            Seen l = last.get();
            return recovered(
                    "renamed " + l.name() + " back to " + name + " and started it",
                    List.of(new Rename(l.id(), name), new Start(l.id())));
        }
        if (main.isPresent() && !main.get().running()) {
            Seen m = main.get();
            if ("created".equals(m.spec().state()) && last.isPresent()) {
                Seen l = last.get();
                return recovered(
                        "removed never-started " + name + ", restarted " + l.name() + " as " + name,
                        List.of(new Remove(m.id()), new Rename(l.id(), name), new Start(l.id())));
            }
            return recovered("started stopped " + name, List.of(new Start(m.id())));
        }
        return null;
    }

    private static SwapPlan recovered(String what, List<SwapAction> actions) {
        return new SwapPlan(what, actions, new ObserveAgain(Recovery.DONE));
    }

    static SwapPlan swap(Wanted w, Observation o, String summary) {
        String name = w.container();
        String digest = w.digest();
        Seen current = o.main(name).orElse(null);
        String previous = current == null ? null : current.digest();
        if (current != null && current.running() && digest.equals(previous)) {
            // Already there (a redelivery, or a swap finished before a crash).
            String before = current.spec().labels().get(ImageLabels.PREVIOUS_DIGEST);
            return new SwapPlan(
                    name + " already runs " + digest,
                    List.of(),
                    new CheckHealth(
                            List.of(),
                            current.id(),
                            false,
                            new AlreadyThere(digest, current.id(), before)));
        }
        String ref = w.reference();
        List<SwapAction> actions = new ArrayList<>();
        if (!o.imagePresent()) {
            actions.add(new Pull(ref)); // by digest: an image already here is the same content
        }
        ContainerSpec base =
                current != null ? withoutImageDefaults(current.spec(), o.mainImage()) : w.fresh();
        ContainerSpec next = base.successor(ref, digest, previous);
        if (current != null) {
            actions.add(new Stop(current.id()));
            actions.addAll(retire(o, current, previous, name));
        }
        return new SwapPlan(
                summary,
                actions,
                new CheckHealth(
                        List.of(new Create(name, next), new Start(SwapAction.CREATED)),
                        SwapAction.CREATED,
                        true,
                        new Swapped(w, current, previous, o.containers())));
    }

    static SwapPlan restore(Wanted w, Observation o) {
        String name = w.container();
        String digest = w.digest();
        Seen current = o.main(name).orElse(null);
        String currentDigest = current == null ? null : current.digest();
        if (digest == null || (current != null && digest.equals(currentDigest))) {
            return new SwapPlan(
                    name + " already runs " + currentDigest,
                    List.of(),
                    new Report(SwapResult.updated(currentDigest, currentDigest)));
        }
        Optional<Seen> retained =
                o.containers().stream()
                        .filter(c -> !c.name().equals(name))
                        .filter(c -> digest.equals(c.digest()))
                        .max(BY_LAST_STOPPED);
        if (retained.isEmpty()) {
            return swap(w, o, "no retained " + name + " container of " + digest + ": pulling it");
        }
        Seen back = retained.get();
        List<SwapAction> actions = new ArrayList<>();
        if (current != null) {
            actions.add(new Stop(current.id()));
            actions.addAll(retire(o, current, currentDigest, name));
        }
        actions.add(new Rename(back.id(), name));
        actions.add(new Start(back.id()));
        List<Seen> others = o.containers().stream().filter(c -> !c.id().equals(back.id())).toList();
        return new SwapPlan(
                "restoring " + name + " to " + digest + " from " + back.name(),
                actions,
                new CheckHealth(
                        List.of(),
                        back.id(),
                        false,
                        new Restored(w, current, currentDigest, back, others)));
    }

    // --- after the health check ----------------------------------------------------------------

    /** What a health check decides between: the context of the plan that led to it. */
    public sealed interface AfterHealth permits Swapped, AlreadyThere, Restored {}

    /** A new container of {@code w.digest()} replaced {@code current} (null: none ran). */
    record Swapped(Wanted w, Seen current, String previous, List<Seen> before)
            implements AfterHealth {}

    /** The host already ran {@code digest}; {@code before} is the digest its labels name. */
    record AlreadyThere(String digest, String container, String before) implements AfterHealth {}

    /** The retained {@code back} replaced {@code current}. */
    record Restored(Wanted w, Seen current, String currentDigest, Seen back, List<Seen> others)
            implements AfterHealth {}

    /**
     * The plan after a health verdict.
     *
     * @param unhealthy null when healthy, else why not
     */
    public static SwapPlan afterHealth(AfterHealth after, String unhealthy) {
        if (after instanceof Swapped s) return afterSwap(s, unhealthy);
        if (after instanceof AlreadyThere a) return afterAlreadyThere(a, unhealthy);
        return afterRestore((Restored) after, unhealthy);
    }

    private static SwapPlan afterSwap(Swapped s, String unhealthy) {
        String name = s.w().container();
        String digest = s.w().digest();
        if (unhealthy == null) {
            return new SwapPlan(
                    name + " now runs " + digest + " (was " + s.previous() + ")",
                    prune(s.w(), s.current(), s.previous(), s.before()),
                    new Report(SwapResult.updated(digest, s.previous())));
        }
        List<SwapAction> undo = new ArrayList<>();
        undo.add(new ReadLogs(SwapAction.CREATED));
        undo.add(new Remove(SwapAction.CREATED));
        if (s.current() != null) {
            undo.add(new Rename(s.current().id(), name));
            undo.add(new Start(s.current().id()));
        }
        return new SwapPlan(
                digest + " on " + name + " failed, previous restarted: " + unhealthy,
                undo,
                new Report(
                        SwapResult.failed(
                                unhealthy + "; " + Reasons.PREVIOUS_RESTORED, "", s.previous())));
    }

    private static SwapPlan afterAlreadyThere(AlreadyThere a, String unhealthy) {
        if (unhealthy == null) {
            return new SwapPlan(
                    "already on " + a.digest() + " and healthy",
                    List.of(),
                    new Report(SwapResult.updated(a.digest(), a.before())));
        }
        SwapResult failed = SwapResult.failed(unhealthy, "", a.before());
        return new SwapPlan(
                a.digest() + " runs but is unhealthy: " + unhealthy,
                List.of(new ReadLogs(a.container())),
                a.before() == null
                        ? new Report(failed)
                        : new RestoreThenReport(a.before(), failed));
    }

    private static SwapPlan afterRestore(Restored r, String unhealthy) {
        String name = r.w().container();
        if (unhealthy == null) {
            return new SwapPlan(
                    name + " back on " + r.w().digest() + " (was " + r.currentDigest() + ")",
                    prune(r.w(), r.current(), r.currentDigest(), r.others()),
                    new Report(SwapResult.updated(r.w().digest(), r.currentDigest())));
        }
        List<SwapAction> undo = new ArrayList<>();
        undo.add(new ReadLogs(r.back().id()));
        undo.add(new Stop(r.back().id()));
        undo.add(new Rename(r.back().id(), r.back().name()));
        if (r.current() != null) {
            undo.add(new Rename(r.current().id(), name));
            undo.add(new Start(r.current().id()));
        }
        return new SwapPlan(
                "restore of " + r.w().digest() + " on " + name + " failed: " + unhealthy,
                undo,
                new Report(SwapResult.failed(unhealthy, "", r.currentDigest())));
    }

    // --- helpers -------------------------------------------------------------------------------

    /** The retired name of the app container: {@code <name>-<sha12>}. */
    static String retiredName(String name, Seen c, String digest) {
        return name + "-" + shortSha(digest, c.spec().imageId());
    }

    /** Renames the stopped previous container to {@code <name>-<sha12>}, replacing a namesake. */
    private static List<SwapAction> retire(
            Observation o, Seen current, String digest, String name) {
        String retainedName = retiredName(name, current, digest);
        List<SwapAction> actions = new ArrayList<>();
        for (Seen c : o.containers()) {
            if (c.name().equals(retainedName) && !c.id().equals(current.id())) {
                actions.add(new Remove(c.id()));
            }
        }
        actions.add(new Rename(current.id(), retainedName));
        return actions;
    }

    /**
     * Keeps the last {@code retained} previous containers (the one just retired first, then the
     * others by the time they stopped), removes older ones.
     */
    private static List<SwapAction> prune(
            Wanted w, Seen retired, String retiredDigest, List<Seen> before) {
        String name = w.container();
        String retiredName = retired == null ? null : retiredName(name, retired, retiredDigest);
        List<Seen> old = new ArrayList<>();
        if (retired != null) old.add(retired);
        before.stream()
                .filter(c -> !c.name().equals(name) && !c.running())
                .filter(c -> retired == null || !c.id().equals(retired.id()))
                .filter(c -> !c.name().equals(retiredName)) // replaced by retire()
                .sorted(BY_LAST_STOPPED.reversed())
                .forEach(old::add);
        List<SwapAction> actions = new ArrayList<>();
        for (int i = w.retained(); i < old.size(); i++) {
            actions.add(new Remove(old.get(i).id()));
        }
        return actions;
    }

    /**
     * The manifest digest a container runs: our label, its image reference, or else one of its
     * image's repo digests ({@code image}'s first), read only when needed.
     */
    public static String digestOf(
            ContainerSpec c, java.util.function.Supplier<List<String>> repoDigests, String image) {
        String label = c.labels().get(ImageLabels.DIGEST);
        if (label != null) return label;
        if (c.image() != null && c.image().contains("@sha256:")) {
            return c.image().substring(c.image().indexOf('@') + 1);
        }
        List<String> digests = repoDigests.get();
        String repo = image + "@";
        return digests.stream()
                .filter(d -> d.startsWith(repo))
                .findFirst()
                .or(() -> digests.stream().findFirst())
                .map(d -> d.substring(d.indexOf('@') + 1))
                .orElse(null);
    }

    /** The first 12 hex digits of a digest (or image id), zero-padded. */
    public static String shortSha(String digest, String imageId) {
        String s = digest != null ? digest : imageId;
        if (s == null) return "000000000000";
        int colon = s.indexOf(':');
        String hex = colon < 0 ? s : s.substring(colon + 1);
        return hex.length() >= 12
                ? hex.substring(0, 12)
                : String.format("%-12s", hex).replace(' ', '0');
    }

    /** The container's own settings: what its image set by itself is left to the new image. */
    static ContainerSpec withoutImageDefaults(ContainerSpec c, ImageConfig image) {
        List<String> env = c.env().stream().filter(e -> !image.env().contains(e)).toList();
        Map<String, String> labels = new HashMap<>(c.labels());
        image.labels().forEach((k, v) -> labels.remove(k, v));
        List<String> cmd = c.cmd().equals(image.cmd()) ? List.of() : c.cmd();
        List<String> entrypoint =
                c.entrypoint().equals(image.entrypoint()) ? List.of() : c.entrypoint();
        String hostname =
                c.hostname() != null && c.id() != null && c.id().startsWith(c.hostname())
                        ? null
                        : c.hostname();
        return new ContainerSpec(
                c.id(),
                c.name(),
                c.image(),
                c.imageId(),
                env,
                cmd,
                entrypoint,
                hostname,
                labels,
                c.restartPolicy(),
                c.restartMaxRetries(),
                c.networkMode(),
                c.ports(),
                c.state(),
                c.health(),
                c.created(),
                c.finishedAt());
    }
}
