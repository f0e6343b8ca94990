package dev.canaryrelease.deploy.client;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.canaryrelease.deploy.config.DeployConfig;
import dev.canaryrelease.deploy.domain.ContainerSpec;
import dev.canaryrelease.deploy.domain.EngineRetry;
import dev.canaryrelease.deploy.domain.HealthCheck;
import dev.canaryrelease.deploy.domain.ImageConfig;
import dev.canaryrelease.deploy.domain.SwapAction;
import dev.canaryrelease.deploy.domain.SwapPlan;
import dev.canaryrelease.deploy.domain.SwapPlanner;
import dev.canaryrelease.deploy.domain.SwapPlanner.Kind;
import dev.canaryrelease.deploy.domain.SwapPlanner.Observation;
import dev.canaryrelease.deploy.domain.SwapPlanner.Recovery;
import dev.canaryrelease.deploy.domain.SwapPlanner.Seen;
import dev.canaryrelease.deploy.domain.SwapPlanner.Wanted;
import dev.canaryrelease.deploy.domain.SwapResult;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.transport.Ssh;

/**
 * The executor of the container swap on one drained host, and of its way back: it observes the
 * app's containers, asks {@link SwapPlanner} (domain) for the plan, carries the plan's actions out
 * on the engine, probes the new container for {@link HealthCheck}'s verdict, and loops until the
 * plan reports a result. Every decision (what to stop, create, restore, keep or remove; when a
 * health check fails; whether to try an unreachable engine again) is the domain's; this class only
 * tells an unreachable engine from a refusing one. The caller runs one operation per host at a
 * time.
 */
@ApplicationScoped
public class SwapService {
    private static final Logger LOG = Logger.getLogger(SwapService.class);

    /** A host as {@code GET /hosts} shows it. */
    public record HostView(
            String host,
            String driver,
            String app,
            ContainerView container,
            List<ContainerView> retained,
            String error) {}

    public record ContainerView(String name, String id, String state, String digest) {}

    /**
     * Asked before each step of a swap, restore or recovery (the actions on the engine, the health
     * check): false once this instance may no longer act for the app, its partition having gone to
     * another instance (issue 19). The swap then stops where it is ({@link Fenced}).
     */
    @FunctionalInterface
    public interface Fence {
        /** A swap nothing fences (a single instance, a tool). */
        Fence NONE = () -> true;

        boolean holds();
    }

    /** A swap stopped between two steps: its instance lost the app's partition. */
    public static final class Fenced extends RuntimeException {
        Fenced(String message) {
            super(message);
        }
    }

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

    // --- operations ----------------------------------------------------------------------------

    /**
     * Swaps the app's container on a drained host to {@code digest} (pulled by digest), again while
     * the engine cannot be reached (see {@link EngineRetry}).
     */
    public SwapResult swap(String hostName, String appName, String digest) {
        return swap(hostName, appName, digest, Fence.NONE);
    }

    /**
     * {@link #swap(String, String, String)}, asking {@code fence} before each step.
     *
     * @throws Fenced when the fence no longer holds before a step (nothing more done on the host)
     */
    public SwapResult swap(String hostName, String appName, String digest, Fence fence) {
        return attempts(
                hostName,
                "swap to " + digest,
                () -> once(Kind.SWAP, hostName, appName, digest, new ArrayList<>(), fence));
    }

    /**
     * Starts the retained container of {@code digest} again (no pull), or keeps what runs when
     * {@code digest} is null; without a retained one, it swaps to {@code digest} (pull).
     */
    public SwapResult restore(String hostName, String appName, String digest) {
        return restore(hostName, appName, digest, Fence.NONE);
    }

    /**
     * {@link #restore(String, String, String)}, asking {@code fence} before each step.
     *
     * @throws Fenced when the fence no longer holds before a step (nothing more done on the host)
     */
    public SwapResult restore(String hostName, String appName, String digest, Fence fence) {
        return attempts(
                hostName,
                "restore of " + digest,
                () -> once(Kind.RESTORE, hostName, appName, digest, new ArrayList<>(), fence));
    }

    /**
     * Brings a host's app containers to a consistent state after an interrupted swap (see {@link
     * SwapPlanner}); errors are logged, not thrown.
     *
     * @return what it did, empty when nothing was needed
     */
    public List<String> recover(String hostName, String appName) {
        return recover(hostName, appName, Fence.NONE);
    }

    /** {@link #recover(String, String)}, asking {@code fence} before each step. */
    public List<String> recover(String hostName, String appName, Fence fence) {
        List<String> done = new ArrayList<>();
        try {
            carryOut(Kind.RECOVER, hostName, appName, null, done, fence);
        } catch (Fenced e) {
            LOG.infof("%s: recovery of %s stopped: %s", hostName, appName, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warnf("%s: cannot check for interrupted swaps: %s", hostName, e.getMessage());
        }
        return done;
    }

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
        return t instanceof java.security.GeneralSecurityException // a certificate not trusted
                || Ssh.refused(t); // a host key or a login refused
    }

    /** Runs {@code once} again while the engine cannot be reached, as {@link EngineRetry} says. */
    private SwapResult attempts(String hostName, String what, Supplier<SwapResult> once) {
        EngineRetry rule =
                new EngineRetry(config.swapAttempts(), config.retryPause(), config.engineWait());
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                SwapResult r = once.get();
                if (attempt > 1) {
                    LOG.infof(
                            "%s: %s: the engine answered again at attempt %d",
                            hostName, what, attempt);
                }
                return r;
            } catch (Unreachable e) {
                Duration waited = Duration.ofNanos(System.nanoTime() - start);
                Optional<Duration> pause = rule.next(attempt, waited);
                if (pause.isEmpty()) {
                    LOG.warnf(
                            "%s: %s: engine not reached in %d attempts over %d s: %s",
                            hostName, what, attempt, waited.toSeconds(), e.getMessage());
                    return SwapResult.failed(
                            EngineRetry.gaveUp(e.getMessage(), attempt, waited), "", null);
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
                        pause.get().toMillis(),
                        config.engineWait().toSeconds());
                try {
                    Thread.sleep(pause.get().toMillis()); // back-off before reaching the engine
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return SwapResult.failed("interrupted", "", null);
                }
            }
        }
    }

    /** One attempt: observe, plan, carry out, until the plan reports. */
    private SwapResult once(
            Kind kind,
            String hostName,
            String appName,
            String digest,
            List<String> recovered,
            Fence fence) {
        try {
            return carryOut(kind, hostName, appName, digest, recovered, fence);
        } catch (Fenced e) {
            throw e;
        } catch (RuntimeException e) {
            if (unreachable(e)) throw new Unreachable(e);
            String what = kind == Kind.SWAP ? "swap to " : "restore of ";
            LOG.warnf("%s: %s%s failed: %s", hostName, what, digest, e.getMessage());
            return SwapResult.failed(e.getMessage(), "", null);
        }
    }

    private SwapResult carryOut(
            Kind kind,
            String hostName,
            String appName,
            String digest,
            List<String> recovered,
            Fence fence) {
        Fleet.Host host = fleet.host(hostName).orElseThrow();
        Fleet.App app = fleet.app(appName).orElseThrow();
        Wanted wanted = Wanted.of(fleet, app, host, digest, config.retained());
        Run run = new Run(hosts.get(hostName));
        Recovery recovery = Recovery.CHECK;
        boolean checked = false; // a health check ran: the result is worth a log line
        while (true) {
            long t0 = System.nanoTime();
            Observation seen = observe(run.engine, wanted, kind != Kind.RECOVER);
            run.spent.merge("observe", (System.nanoTime() - t0) / 1_000_000, Long::sum);
            SwapPlan plan = SwapPlanner.plan(kind, wanted, seen, recovery);
            while (true) {
                SwapPlan.Then then = plan.then();
                boolean failed =
                        then instanceof SwapPlan.Report r && !r.result().ok()
                                || then instanceof SwapPlan.RestoreThenReport;
                if (failed) {
                    LOG.warnf("%s: %s", hostName, plan.summary());
                } else if (then instanceof SwapPlan.CheckHealth) {
                    LOG.infof("%s: %s", hostName, plan.summary());
                }
                if (!plan.actions().isEmpty() || then instanceof SwapPlan.CheckHealth) {
                    fenced(fence, hostName, appName, plan);
                }
                run.all(plan.actions());
                if (then instanceof SwapPlan.ObserveAgain again) {
                    LOG.warnf(
                            "%s: recovered an interrupted swap: %s",
                            run.engine.describe(), plan.summary());
                    recovered.add(plan.summary());
                    recovery = again.recovery();
                    break; // observe again
                } else if (then instanceof SwapPlan.CheckHealth check) {
                    plan = SwapPlanner.afterHealth(check.after(), run.check(check, host, app));
                    checked = true;
                } else if (then instanceof SwapPlan.Report report) {
                    if (report.result().ok() && (checked || !plan.actions().isEmpty())) {
                        LOG.infof("%s: %s (%s)", hostName, plan.summary(), run.timings());
                    }
                    return report.result().withLogs(run.logs);
                } else if (then instanceof SwapPlan.RestoreThenReport rr) {
                    fenced(fence, hostName, appName, plan);
                    restore(hostName, appName, rr.digest(), fence);
                    return rr.result().withLogs(run.logs);
                } else {
                    return null; // Recovered: a recovery alone is done
                }
            }
        }
    }

    /** Throws {@link Fenced} when {@code fence} no longer holds before {@code plan}'s step. */
    private static void fenced(Fence fence, String hostName, String appName, SwapPlan plan) {
        if (!fence.holds()) {
            throw new Fenced(
                    "%s: %s is no longer this instance's: not carried on (next step: %s)"
                            .formatted(hostName, appName, plan.summary()));
        }
    }

    /** What the host shows: the app's containers with their digests, and the image facts. */
    private Observation observe(ContainerHost engine, Wanted w, boolean images) {
        List<Seen> containers =
                engine.appContainers(w.container()).stream()
                        .map(c -> new Seen(c, digestOf(engine, c, w.image())))
                        .toList();
        if (!images) return new Observation(containers, false, ImageConfig.NONE);
        boolean present = w.digest() != null && !engine.repoDigests(w.reference()).isEmpty();
        ImageConfig mainImage =
                containers.stream()
                        .filter(c -> c.name().equals(w.container()))
                        .findFirst()
                        .map(c -> engine.imageConfig(c.spec().imageId()))
                        .orElse(ImageConfig.NONE);
        return new Observation(containers, present, mainImage);
    }

    private static String digestOf(ContainerHost engine, ContainerSpec c, String image) {
        return SwapPlanner.digestOf(c, () -> engine.repoDigests(c.imageId()), image);
    }

    /** One operation's actions on one engine: the container it created, the logs it read. */
    private final class Run {
        final ContainerHost engine;
        String created;
        String logs = "";

        Run(ContainerHost engine) {
            this.engine = engine;
        }

        String id(String container) {
            return SwapAction.CREATED.equals(container) ? created : container;
        }

        /** Milliseconds spent per kind of action on the engine, and in the health check. */
        final Map<String, Long> spent = new LinkedHashMap<>();

        void all(List<SwapAction> actions) {
            for (SwapAction a : actions) {
                long t0 = System.nanoTime();
                one(a);
                spent.merge(
                        a.getClass().getSimpleName().toLowerCase(Locale.ROOT),
                        (System.nanoTime() - t0) / 1_000_000,
                        Long::sum);
            }
        }

        /** e.g. {@code observe 40 ms, create 35 ms, stop 310 ms, start 120 ms, health 480 ms}. */
        String timings() {
            StringBuilder b = new StringBuilder();
            spent.forEach(
                    (k, v) ->
                            b.append(b.isEmpty() ? "" : ", ")
                                    .append(k)
                                    .append(' ')
                                    .append(v)
                                    .append(" ms"));
            return b.toString();
        }

        void one(SwapAction a) {
            if (a instanceof SwapAction.Pull p) {
                engine.pull(p.reference());
            } else if (a instanceof SwapAction.Create c) {
                created = engine.create(c.name(), c.spec());
            } else if (a instanceof SwapAction.Stop s) {
                engine.stop(id(s.container()), config.stopTimeout());
            } else if (a instanceof SwapAction.Rename r) {
                engine.rename(id(r.container()), r.name());
            } else if (a instanceof SwapAction.Start s) {
                start(engine, id(s.container()));
            } else if (a instanceof SwapAction.Remove r) {
                if (id(r.container()) != null) engine.remove(id(r.container()));
            } else if (a instanceof SwapAction.ReadLogs l) {
                String id = id(l.container());
                logs = id == null ? "" : engine.logs(id, config.logLines());
            }
        }

        /** Carries out the check's first actions and probes: null when healthy, else why not. */
        String check(SwapPlan.CheckHealth check, Fleet.Host host, Fleet.App app) {
            try {
                all(check.first());
                long t0 = System.nanoTime();
                try {
                    return waitHealthy(engine, id(check.container()), host, app);
                } finally {
                    spent.merge("health", (System.nanoTime() - t0) / 1_000_000, Long::sum);
                }
            } catch (HostException e) {
                if (!check.refusalIsVerdict() || unreachable(e)) throw e;
                return e.getMessage(); // the engine refused: the verdict
            }
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
            Wanted w = Wanted.of(fleet, app, host, null, config.retained());
            Observation seen = observe(engine, w, false);
            ContainerView main = seen.main(app.container()).map(SwapService::view).orElse(null);
            List<ContainerView> retained =
                    seen.retainedNewestFirst(app.container()).stream()
                            .map(SwapService::view)
                            .toList();
            return new HostView(host.name(), driver, app.name(), main, retained, null);
        } catch (RuntimeException e) {
            return new HostView(host.name(), driver, app.name(), null, List.of(), e.getMessage());
        }
    }

    private static ContainerView view(Seen c) {
        return new ContainerView(c.name(), c.id(), c.spec().state(), c.digest());
    }

    // --- probing -------------------------------------------------------------------------------

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

    /**
     * Probes the container ({@code GET http://<host address>:<port><healthPath>} and its Docker
     * state) until {@link HealthCheck} gives a verdict.
     *
     * @return null when healthy, else why not
     */
    String waitHealthy(ContainerHost engine, String id, Fleet.Host host, Fleet.App app) {
        HealthCheck check =
                new HealthCheck(
                        Instant.now(),
                        fleet.rollout().healthTimeout(),
                        config.definiteFailureAfter(),
                        app.startGrace());
        while (true) {
            ContainerSpec c = engine.inspect(id);
            HealthCheck.Verdict v = check.container(c).orElse(null);
            if (v == null) {
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
                    v = check.answered(uri.toString(), r.statusCode(), c.health(), Instant.now());
                } catch (java.net.http.HttpTimeoutException e) {
                    // silence: something may be busy starting
                    v = check.noAnswer(uri.toString(), e.getClass().getSimpleName(), Instant.now());
                } catch (IOException e) {
                    // refused, or accepted and closed with no answer (Docker's port proxy when
                    // nothing listens in the container)
                    v = check.refused(uri.toString(), e.getClass().getSimpleName(), Instant.now());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            }
            if (v instanceof HealthCheck.Healthy) return null;
            if (v instanceof HealthCheck.Unhealthy u) return u.reason();
            try {
                // polling the app: the only wait is for the app itself
                Thread.sleep(((HealthCheck.Wait) v).pause().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
    }
}
