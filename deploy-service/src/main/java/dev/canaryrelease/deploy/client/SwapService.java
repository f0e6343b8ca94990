package dev.canaryrelease.deploy.client;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.canaryrelease.deploy.config.DeployConfig;
import dev.canaryrelease.deploy.domain.Reasons;
import dev.canaryrelease.events.ImageLabels;
import dev.canaryrelease.fleet.Fleet;

/**
 * The container swap on one drained host, and its way back. Crash-safe: before each swap it reads
 * the engine's real state and completes or undoes a half-done one, so a host never runs two app
 * containers and never ends without one. The caller runs one operation per host at a time.
 */
@ApplicationScoped
public class SwapService {
    private static final Logger LOG = Logger.getLogger(SwapService.class);
    private static final long MAX_RETRY_PAUSE_MS = 5_000;

    /** What a swap or restore gave: the digest running now, the one before, or why it failed. */
    public record Result(
            boolean ok, String digest, String previousDigest, String reason, String logTail) {
        static Result updated(String digest, String previous) {
            return new Result(true, digest, previous, null, null);
        }

        static Result failed(String reason, String logTail, String previous) {
            return new Result(false, null, previous, reason, logTail == null ? "" : logTail);
        }
    }

    /** A host as {@code GET /hosts} shows it. */
    public record HostView(
            String host,
            String driver,
            String app,
            ContainerView container,
            List<ContainerView> retained,
            String error) {}

    public record ContainerView(String name, String id, String state, String digest) {}

    private final Fleet fleet;
    private final ContainerHosts hosts;
    private final DeployConfig config;
    private final HttpClient http;
    private final MeterRegistry metrics;

    public SwapService(
            Fleet fleet, ContainerHosts hosts, DeployConfig config, MeterRegistry metrics) {
        this.fleet = fleet;
        this.hosts = hosts;
        this.config = config;
        this.metrics = metrics;
        this.http =
                HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(1))
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build();
    }

    // --- swap ----------------------------------------------------------------------------------

    /**
     * An attempt that could not reach the engine (connection refused or reset, SSH transport error,
     * timeout): the next attempt completes or undoes what it left and tries again.
     */
    static final class Unreachable extends RuntimeException {
        Unreachable(RuntimeException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** True when an I/O failure is behind {@code e}: the engine was not reached, not refusing. */
    static boolean unreachable(Throwable e) {
        boolean io = false;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (refused(t)) return false; // the engine or sshd answered: no, and will again
            if (t instanceof IOException) io = true;
        }
        return io;
    }

    /** A failure that trying again cannot mend: a certificate, host key or login refused. */
    private static boolean refused(Throwable t) {
        if (t instanceof java.security.GeneralSecurityException // a certificate not trusted
                || t instanceof net.schmizz.sshj.userauth.UserAuthException) {
            return true;
        }
        return t instanceof net.schmizz.sshj.common.SSHException s
                && s.getDisconnectReason()
                        == net.schmizz.sshj.common.DisconnectReason.HOST_KEY_NOT_VERIFIABLE;
    }

    /**
     * Runs {@code once} again while the engine cannot be reached, pausing {@code retry-pause}
     * (doubled each time, at most 5 s) in between: at least {@code canary.deploy.swap-attempts}
     * times, and for as long as {@code canary.deploy.engine-wait} since the first attempt.
     */
    private Result attempts(String hostName, String what, Supplier<Result> once) {
        int max = Math.max(1, config.swapAttempts());
        long pause = config.retryPause().toMillis();
        long start = System.nanoTime();
        long waitNanos = config.engineWait().toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                Result r = once.get();
                if (attempt > 1) {
                    LOG.infof(
                            "%s: %s: the engine answered again at attempt %d",
                            hostName, what, attempt);
                }
                return r;
            } catch (Unreachable e) {
                long waited = System.nanoTime() - start;
                if (attempt >= max && waited >= waitNanos) {
                    long s = Duration.ofNanos(waited).toSeconds();
                    LOG.warnf(
                            "%s: %s: engine not reached in %d attempts over %d s: %s",
                            hostName, what, attempt, s, e.getMessage());
                    return Result.failed(
                            e.getMessage()
                                    + " (engine not reached in "
                                    + attempt
                                    + " attempts over "
                                    + s
                                    + " s)",
                            "",
                            null);
                }
                Counter.builder("deploy.swap.retries")
                        .description("swap and restore attempts repeated: engine not reached")
                        .tag("host", hostName)
                        .register(metrics)
                        .increment();
                LOG.warnf(
                        "%s: %s: attempt %d did not reach the engine (%s); next in %d ms (the host"
                                + " stays drained; trying for %d s)",
                        hostName,
                        what,
                        attempt,
                        e.getMessage(),
                        pause,
                        config.engineWait().toSeconds());
                try {
                    Thread.sleep(pause); // back-off before reaching the engine again
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return Result.failed("interrupted", "", null);
                }
                pause = Math.min(pause * 2, MAX_RETRY_PAUSE_MS);
            }
        }
    }

    /**
     * Swaps the app's container on a drained host to {@code digest} (pulled by digest), again while
     * the engine cannot be reached (see {@link DeployConfig#swapAttempts()}).
     */
    public Result swap(String hostName, String appName, String digest) {
        return attempts(hostName, "swap to " + digest, () -> swapOnce(hostName, appName, digest));
    }

    private Result swapOnce(String hostName, String appName, String digest) {
        Fleet.Host host = fleet.host(hostName).orElseThrow();
        Fleet.App app = fleet.app(appName).orElseThrow();
        String name = app.container();
        LOG.infof("%s: swapping %s to %s", hostName, name, digest);
        try {
            ContainerHost engine = hosts.get(hostName);
            List<ContainerSpec> all = recoverAndList(engine, app);
            ContainerSpec current = main(all, name).orElse(null);
            String previous = current == null ? null : digestOf(engine, current, app);
            if (current != null && current.running() && digest.equals(previous)) {
                // Already there (a redelivery, or a swap finished before a crash).
                String unhealthy = waitHealthy(engine, current.id(), host, app);
                String before = current.labels().get(ImageLabels.PREVIOUS_DIGEST);
                if (unhealthy == null) return Result.updated(digest, before);
                String logs = engine.logs(current.id(), config.logLines());
                if (before != null) restore(hostName, appName, before);
                return Result.failed(unhealthy, logs, before);
            }
            String ref = fleet.registry().imageName(app.image()) + "@" + digest;
            if (engine.repoDigests(ref).isEmpty()) {
                engine.pull(ref); // by digest: an image already here is the same content
            }
            ContainerSpec base =
                    current != null
                            ? withoutImageDefaults(current, engine.imageConfig(current.imageId()))
                            : defaults(app, host);
            ContainerSpec next = base.successor(ref, digest, previous);
            if (current != null) {
                engine.stop(current.id(), config.stopTimeout());
                retire(engine, all, current, previous, name);
            }
            String id = null;
            String unhealthy;
            try {
                id = engine.create(name, next);
                start(engine, id);
                unhealthy = waitHealthy(engine, id, host, app);
            } catch (HostException e) {
                if (unreachable(e)) throw e; // the next attempt picks up from here
                unhealthy = e.getMessage();
            }
            if (unhealthy == null) {
                prune(engine, name, current, previous, all);
                LOG.infof("%s: %s now runs %s (was %s)", hostName, name, digest, previous);
                return Result.updated(digest, previous);
            }
            String logs = id == null ? "" : engine.logs(id, config.logLines());
            if (id != null) engine.remove(id);
            if (current != null) {
                engine.rename(current.id(), name);
                start(engine, current.id());
            }
            LOG.warnf(
                    "%s: %s on %s failed, previous restarted: %s",
                    hostName, digest, name, unhealthy);
            return Result.failed(unhealthy + "; " + Reasons.PREVIOUS_RESTORED, logs, previous);
        } catch (RuntimeException e) {
            if (unreachable(e)) throw new Unreachable(e);
            LOG.warnf("%s: swap to %s failed: %s", hostName, digest, e.getMessage());
            return Result.failed(e.getMessage(), "", null);
        }
    }

    /**
     * Starts the retained container of {@code digest} again (no pull), or keeps what runs when
     * {@code digest} is null; without a retained one, it swaps to {@code digest} (pull).
     */
    public Result restore(String hostName, String appName, String digest) {
        return attempts(
                hostName, "restore of " + digest, () -> restoreOnce(hostName, appName, digest));
    }

    private Result restoreOnce(String hostName, String appName, String digest) {
        Fleet.Host host = fleet.host(hostName).orElseThrow();
        Fleet.App app = fleet.app(appName).orElseThrow();
        String name = app.container();
        try {
            ContainerHost engine = hosts.get(hostName);
            List<ContainerSpec> all = recoverAndList(engine, app);
            ContainerSpec current = main(all, name).orElse(null);
            String currentDigest = current == null ? null : digestOf(engine, current, app);
            if (digest == null || (current != null && digest.equals(currentDigest))) {
                return Result.updated(currentDigest, currentDigest);
            }
            Optional<ContainerSpec> retained =
                    all.stream()
                            .filter(c -> !c.name().equals(name))
                            .filter(c -> digest.equals(digestOf(engine, c, app)))
                            .max(byLastStopped());
            if (retained.isEmpty()) {
                LOG.infof("%s: no retained %s container of %s: pulling it", hostName, name, digest);
                return swap(hostName, appName, digest);
            }
            ContainerSpec back = retained.get();
            if (current != null) {
                engine.stop(current.id(), config.stopTimeout());
                retire(engine, all, current, currentDigest, name);
            }
            engine.rename(back.id(), name);
            start(engine, back.id());
            String unhealthy = waitHealthy(engine, back.id(), host, app);
            if (unhealthy == null) {
                prune(
                        engine,
                        name,
                        current,
                        currentDigest,
                        all.stream().filter(c -> !c.id().equals(back.id())).toList());
                LOG.infof("%s: %s back on %s (was %s)", hostName, name, digest, currentDigest);
                return Result.updated(digest, currentDigest);
            }
            String logs = engine.logs(back.id(), config.logLines());
            engine.stop(back.id(), config.stopTimeout());
            engine.rename(back.id(), back.name());
            if (current != null) {
                engine.rename(current.id(), name);
                start(engine, current.id());
            }
            return Result.failed(unhealthy, logs, currentDigest);
        } catch (RuntimeException e) {
            if (unreachable(e)) throw new Unreachable(e);
            LOG.warnf("%s: restore of %s failed: %s", hostName, digest, e.getMessage());
            return Result.failed(e.getMessage(), "", null);
        }
    }

    // --- crash safety --------------------------------------------------------------------------

    /**
     * Brings a host's app containers to a consistent state after an interrupted swap: never two
     * running (the named one wins), an old container stopped but not renamed is started again, a
     * new one created but never started is removed and the previous one comes back.
     *
     * @return what it did, empty when nothing was needed
     */
    public List<String> recover(ContainerHost engine, Fleet.App app) {
        return recover(engine, app, engine.appContainers(app.container()));
    }

    /** Recovers, and returns the app's containers as they are afterwards. */
    private List<ContainerSpec> recoverAndList(ContainerHost engine, Fleet.App app) {
        List<ContainerSpec> all = engine.appContainers(app.container());
        return recover(engine, app, all).isEmpty() ? all : engine.appContainers(app.container());
    }

    private List<String> recover(ContainerHost engine, Fleet.App app, List<ContainerSpec> found) {
        String name = app.container();
        List<String> done = new ArrayList<>();
        List<ContainerSpec> all = found;
        List<ContainerSpec> running = all.stream().filter(ContainerSpec::running).toList();
        if (running.size() > 1) {
            ContainerSpec keep =
                    running.stream()
                            .filter(c -> c.name().equals(name))
                            .findFirst()
                            .orElse(running.get(0));
            for (ContainerSpec c : running) {
                if (!c.id().equals(keep.id())) {
                    engine.stop(c.id(), config.stopTimeout());
                    done.add("stopped " + c.name() + " (two app containers were running)");
                }
            }
            all = engine.appContainers(name);
        }
        Optional<ContainerSpec> main = main(all, name);
        List<ContainerSpec> retained = all.stream().filter(c -> !c.name().equals(name)).toList();
        Optional<ContainerSpec> last = retained.stream().max(byLastStopped());
        if (main.isEmpty() && last.isPresent()) {
            engine.rename(last.get().id(), name);
            start(engine, last.get().id());
            done.add("renamed " + last.get().name() + " back to " + name + " and started it");
        } else if (main.isPresent() && !main.get().running()) {
            ContainerSpec m = main.get();
            if ("created".equals(m.state()) && last.isPresent()) {
                engine.remove(m.id());
                engine.rename(last.get().id(), name);
                start(engine, last.get().id());
                done.add(
                        "removed never-started "
                                + name
                                + ", restarted "
                                + last.get().name()
                                + " as "
                                + name);
            } else {
                start(engine, m.id());
                done.add("started stopped " + name);
            }
        }
        if (!done.isEmpty())
            LOG.warnf("%s: recovered an interrupted swap: %s", engine.describe(), done);
        return done;
    }

    /** Runs {@link #recover} on a host by name; errors are logged, not thrown. */
    public List<String> recover(String hostName, String appName) {
        try {
            return recover(hosts.get(hostName), fleet.app(appName).orElseThrow());
        } catch (RuntimeException e) {
            LOG.warnf("%s: cannot check for interrupted swaps: %s", hostName, e.getMessage());
            return List.of();
        }
    }

    // --- read side -----------------------------------------------------------------------------

    public HostView view(Fleet.Host host, Fleet.App app) {
        String driver =
                host.docker()
                        .map(d -> d.driver().name().toLowerCase().replace('_', '-'))
                        .orElse("");
        try {
            ContainerHost engine = hosts.get(host.name());
            List<ContainerSpec> all = engine.appContainers(app.container());
            ContainerView main =
                    main(all, app.container())
                            .map(
                                    c ->
                                            new ContainerView(
                                                    c.name(),
                                                    c.id(),
                                                    c.state(),
                                                    digestOf(engine, c, app)))
                            .orElse(null);
            List<ContainerView> retained =
                    all.stream()
                            .filter(c -> !c.name().equals(app.container()))
                            .sorted(byLastStopped().reversed())
                            .map(
                                    c ->
                                            new ContainerView(
                                                    c.name(),
                                                    c.id(),
                                                    c.state(),
                                                    digestOf(engine, c, app)))
                            .toList();
            return new HostView(host.name(), driver, app.name(), main, retained, null);
        } catch (RuntimeException e) {
            return new HostView(host.name(), driver, app.name(), null, List.of(), e.getMessage());
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    /**
     * Error answers (4xx/5xx) in a row, over {@code definite-failure-after}, that fail a health
     * check.
     */
    static final int DEFINITE_ANSWERS = 3;

    /** How long a start waits for the host port the previous container held to be free. */
    static final Duration PORT_RELEASE_WAIT = Duration.ofSeconds(10);

    /**
     * Starts a container. Right after the previous container stopped, the engine may not have
     * released its published host port yet ("address already in use", "port is already allocated"):
     * the start is then tried again until the port is free, for up to {@link #PORT_RELEASE_WAIT};
     * any other refusal is thrown at once.
     */
    static void start(ContainerHost engine, String id) {
        start(engine, id, PORT_RELEASE_WAIT);
    }

    static void start(ContainerHost engine, String id, Duration portWait) {
        Instant deadline = Instant.now().plus(portWait);
        long pause = 50;
        while (true) {
            try {
                engine.start(id);
                return;
            } catch (HostException e) {
                String m = String.valueOf(e.getMessage());
                boolean portHeld =
                        m.contains("address already in use")
                                || m.contains("port is already allocated");
                if (!portHeld || Instant.now().isAfter(deadline)) throw e;
                LOG.infof("%s: host port still held, starting %s again", engine.describe(), id);
            }
            try {
                Thread.sleep(pause); // polling the engine until it has released the port
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new HostException(engine.describe() + ": interrupted", ie);
            }
            pause = Math.min(pause * 2, 500);
        }
    }

    private static Optional<ContainerSpec> main(List<ContainerSpec> all, String name) {
        return all.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    private static Comparator<ContainerSpec> byLastStopped() {
        return Comparator.comparing(
                        (ContainerSpec c) ->
                                c.finishedAt() == null ? Instant.EPOCH : c.finishedAt())
                .thenComparing(c -> c.created() == null ? Instant.EPOCH : c.created());
    }

    /** Renames the stopped previous container to {@code <name>-<sha12>}, replacing a namesake. */
    private void retire(
            ContainerHost engine,
            List<ContainerSpec> all,
            ContainerSpec current,
            String digest,
            String name) {
        String retainedName = name + "-" + shortSha(digest, current.imageId());
        for (ContainerSpec c : all) {
            if (c.name().equals(retainedName) && !c.id().equals(current.id()))
                engine.remove(c.id());
        }
        engine.rename(current.id(), retainedName);
    }

    /**
     * Keeps the last {@code retained} previous containers (the one just retired first, then the
     * others by the time they stopped), removes older ones.
     */
    private void prune(
            ContainerHost engine,
            String name,
            ContainerSpec retired,
            String retiredDigest,
            List<ContainerSpec> before) {
        String retiredName =
                retired == null ? null : name + "-" + shortSha(retiredDigest, retired.imageId());
        List<ContainerSpec> old = new ArrayList<>();
        if (retired != null) old.add(retired);
        before.stream()
                .filter(c -> !c.name().equals(name) && !c.running())
                .filter(c -> retired == null || !c.id().equals(retired.id()))
                .filter(c -> !c.name().equals(retiredName)) // replaced by retire()
                .sorted(byLastStopped().reversed())
                .forEach(old::add);
        for (int i = config.retained(); i < old.size(); i++) {
            engine.remove(old.get(i).id());
        }
    }

    static String shortSha(String digest, String imageId) {
        String s = digest != null ? digest : imageId;
        if (s == null) return "000000000000";
        int colon = s.indexOf(':');
        String hex = colon < 0 ? s : s.substring(colon + 1);
        return hex.length() >= 12
                ? hex.substring(0, 12)
                : String.format("%-12s", hex).replace(' ', '0');
    }

    /** The manifest digest a container runs: our label, its image reference, or the image's. */
    String digestOf(ContainerHost engine, ContainerSpec c, Fleet.App app) {
        String label = c.labels().get(ImageLabels.DIGEST);
        if (label != null) return label;
        if (c.image() != null && c.image().contains("@sha256:")) {
            return c.image().substring(c.image().indexOf('@') + 1);
        }
        List<String> digests = engine.repoDigests(c.imageId());
        String repo = fleet.registry().imageName(app.image()) + "@";
        return digests.stream()
                .filter(d -> d.startsWith(repo))
                .findFirst()
                .or(() -> digests.stream().findFirst())
                .map(d -> d.substring(d.indexOf('@') + 1))
                .orElse(null);
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

    /** Settings for a host that has no app container yet. */
    private static ContainerSpec defaults(Fleet.App app, Fleet.Host host) {
        List<String> env = new ArrayList<>();
        if (app.env() != null) app.env().forEach((k, v) -> env.add(k + "=" + v));
        env.add("CANARY_HOST=" + host.name());
        return new ContainerSpec(
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
                                app.port() + "/tcp", host.address(), Integer.toString(app.port()))),
                null,
                null,
                null,
                null);
    }

    /**
     * Waits until the container answers {@code GET http://<host address>:<port><healthPath>} with
     * 2xx, and its Docker healthcheck (if the image has one) says healthy, within the fleet's
     * health deadline.
     *
     * @return null when healthy, else why not
     */
    String waitHealthy(ContainerHost engine, String id, Fleet.Host host, Fleet.App app) {
        Duration timeout = fleet.rollout().healthTimeout();
        Instant deadline = Instant.now().plus(timeout);
        String last = "no answer";
        long pause = 25;
        int errors = 0; // answers >= 400 in a row
        Instant firstError = null;
        Duration definite = config.definiteFailureAfter();
        while (true) {
            ContainerSpec c = engine.inspect(id);
            if (!c.running()) {
                return "container " + c.name() + " is " + c.state() + ", not running";
            }
            if ("unhealthy".equals(c.health())) {
                return "Docker healthcheck of " + c.name() + " reports unhealthy";
            }
            ContainerSpec.PortBinding b = c.published(app.port());
            String port =
                    b == null || b.hostPort().isEmpty()
                            ? Integer.toString(app.port())
                            : b.hostPort();
            URI uri = URI.create("http://" + host.address() + ":" + port + app.healthPath());
            try {
                HttpResponse<Void> r =
                        http.send(
                                HttpRequest.newBuilder(uri)
                                        .timeout(Duration.ofSeconds(2))
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.discarding());
                boolean http2xx = r.statusCode() / 100 == 2;
                last = "GET " + uri + " → " + r.statusCode();
                if (http2xx && (c.health() == null || "healthy".equals(c.health()))) return null;
                if (http2xx) last = last + ", Docker healthcheck " + c.health();
                if (r.statusCode() >= 400) {
                    if (errors++ == 0) firstError = Instant.now();
                    Duration over = Duration.between(firstError, Instant.now());
                    // the app answers, and says no: a definite failure, no need to wait for the
                    // deadline (silence and refused connections still get all of it)
                    if (errors >= DEFINITE_ANSWERS && over.compareTo(definite) >= 0) {
                        return Reasons.HEALTH_DEFINITE
                                + "GET "
                                + uri
                                + " answered "
                                + r.statusCode()
                                + " "
                                + errors
                                + " times in a row over "
                                + over.toMillis()
                                + " ms";
                    }
                } else {
                    errors = 0;
                }
            } catch (IOException e) {
                errors = 0;
                last = "GET " + uri + " → " + e.getClass().getSimpleName();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
            if (Instant.now().isAfter(deadline)) {
                return Reasons.HEALTH_TIMEOUT + timeout.toSeconds() + "s (" + last + ")";
            }
            try {
                Thread.sleep(pause); // polling the app: the only wait is for the app itself
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
            pause = Math.min(pause * 2, 250);
        }
    }
}
