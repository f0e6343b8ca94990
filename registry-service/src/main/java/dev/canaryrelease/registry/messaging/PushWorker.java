package dev.canaryrelease.registry.messaging;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.ImageLabels;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.ImageRejected;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.registry.client.ImageConfig;
import dev.canaryrelease.registry.client.ImageManifest;
import dev.canaryrelease.registry.client.NotFoundException;
import dev.canaryrelease.registry.client.RegistryClient;
import dev.canaryrelease.registry.client.RegistryException;
import dev.canaryrelease.registry.config.RegistryServiceConfig;
import dev.canaryrelease.registry.domain.BuildTracker;
import dev.canaryrelease.registry.domain.ManifestPush;
import dev.canaryrelease.registry.domain.PushJournal;
import dev.canaryrelease.registry.domain.Reasons;
import dev.canaryrelease.registry.domain.TagStore;

/**
 * Turns queued manifest pushes into {@code image.pushed} or {@code image.rejected}, off the request
 * thread: verifies the manifest through the registry API, reads the image config's release label,
 * waits (without holding a thread) for that release's {@code build.succeeded} and publishes {@code
 * image.pushed} only when its digest is the pushed one; an unlabelled push only when its actor is
 * in the app's {@code releaseByPush}. Then marks the push done in the {@link PushJournal}.
 * Transient registry or Kafka failures are retried with backoff.
 */
@ApplicationScoped
public class PushWorker {
    private static final Logger LOG = Logger.getLogger(PushWorker.class);

    /** What became of one push. */
    public enum Outcome {
        PUBLISHED,
        REJECTED,
        IGNORED_NO_APP,
        IGNORED_GONE
    }

    private final PushJournal journal;
    private final RegistryClient registry;
    private final Fleet fleet;
    private final BuildTracker builds;
    private final TagStore tags;
    private final EventPublisher publisher;
    private final RegistryServiceConfig config;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ScheduledExecutorService executor;

    public PushWorker(
            PushJournal journal,
            RegistryClient registry,
            Fleet fleet,
            BuildTracker builds,
            TagStore tags,
            EventPublisher publisher,
            RegistryServiceConfig config) {
        this.journal = journal;
        this.registry = registry;
        this.fleet = fleet;
        this.builds = builds;
        this.tags = tags;
        this.publisher = publisher;
        this.config = config;
        AtomicInteger n = new AtomicInteger();
        this.executor =
                Executors.newScheduledThreadPool(
                        Math.max(1, config.workers()),
                        r -> {
                            Thread t = new Thread(r, "push-worker-" + n.incrementAndGet());
                            t.setDaemon(true);
                            // a worker is made by whichever thread first hands the pool work, the
                            // JDK's delayer thread among them (a wait that timed out), whose
                            // context loader may be another application's: the config lookups of
                            // the publisher need this service's
                            t.setContextClassLoader(PushWorker.class.getClassLoader());
                            return t;
                        });
    }

    void onStart(@Observes StartupEvent event) {
        List<ManifestPush> pending = journal.pending();
        if (!pending.isEmpty()) {
            LOG.infof("%d accepted pushes left from the last run: processing them", pending.size());
            submit(pending);
        }
    }

    /** Queues pushes already written to the journal. */
    public void submit(List<ManifestPush> pushes) {
        for (ManifestPush p : pushes) {
            inFlight.incrementAndGet();
            executor.execute(() -> attempt(p, 1));
        }
    }

    /** Pushes accepted and not processed yet. */
    public int inFlight() {
        return inFlight.get();
    }

    private void attempt(ManifestPush push, int attempt) {
        CompletionStage<Outcome> result;
        try {
            result = process(push);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        result.whenComplete(
                (outcome, err) -> {
                    if (err == null) {
                        journal.done(push.key());
                        inFlight.decrementAndGet();
                        return;
                    }
                    Throwable cause =
                            err instanceof java.util.concurrent.CompletionException ce
                                            && ce.getCause() != null
                                    ? ce.getCause()
                                    : err;
                    boolean retry = !(cause instanceof RegistryException re) || re.isTransient();
                    if (retry && attempt < config.verifyAttempts()) {
                        long delay = Math.min(30_000L, 500L << Math.min(attempt, 6));
                        LOG.warnf(
                                "push %s: %s; attempt %d of %d, next in %d ms",
                                push, cause.getMessage(), attempt, config.verifyAttempts(), delay);
                        executor.schedule(
                                () -> attempt(push, attempt + 1), delay, TimeUnit.MILLISECONDS);
                    } else if (retry) {
                        LOG.errorf(
                                "push %s: %s; gave up after %d attempts, left queued for the next"
                                        + " start",
                                push, cause.getMessage(), attempt);
                        inFlight.decrementAndGet();
                    } else {
                        LOG.errorf("push %s rejected: %s", push, cause.getMessage());
                        journal.done(push.key());
                        inFlight.decrementAndGet();
                    }
                });
    }

    /** Verifies one push and publishes its {@code image.pushed}, or says why it needs none. */
    CompletionStage<Outcome> process(ManifestPush push) {
        tags.record(push.repository(), push.tag(), push.digest(), push.pushedAt());
        Optional<Fleet.App> app = fleet.appForImage(push.repository());
        if (app.isEmpty()) {
            LOG.infof("push %s ignored: no app of the fleet has image %s", push, push.repository());
            return CompletableFuture.completedFuture(Outcome.IGNORED_NO_APP);
        }
        ImageManifest manifest;
        ImageConfig image;
        try {
            manifest = registry.manifest(push.repository(), push.digest());
            image = registry.config(manifest);
        } catch (NotFoundException e) {
            LOG.warnf("push %s ignored: %s (deleted since)", push, e.getMessage());
            return CompletableFuture.completedFuture(Outcome.IGNORED_GONE);
        }
        String label = image.labels().get(ImageLabels.RELEASE_ID);
        Fleet.App a = app.get();
        if (label == null || label.isBlank()) {
            return unlabelled(push, a);
        }
        String releaseId = label.strip();
        // continued on a worker: a wait that times out completes on the JDK's delayer thread,
        // which has no Quarkus class loader (no config for the publisher)
        return builds.await(releaseId, config.releaseWait())
                .thenComposeAsync(
                        cause -> labelled(push, a, releaseId, cause.orElse(null)), executor);
    }

    /**
     * A push without the release label (a hand push, another CI): a new release only when its actor
     * is in the app's {@code releaseByPush}.
     */
    private CompletionStage<Outcome> unlabelled(ManifestPush push, Fleet.App app) {
        String releaseId = newReleaseId(push);
        if (push.actor() == null || !app.releaseByPush().contains(push.actor())) {
            String reason =
                    Reasons.unlabelledNotAllowed(push.actor(), app.name(), app.releaseByPush());
            return reject(
                    null,
                    new ImageRejected(
                            releaseId,
                            app.name(),
                            push.repository(),
                            push.tag(),
                            push.digest(),
                            null,
                            push.actor(),
                            reason));
        }
        ImagePushed data =
                new ImagePushed(
                        releaseId,
                        app.name(),
                        push.repository(),
                        push.tag(),
                        push.digest(),
                        push.actor());
        return publisher
                .publish(data)
                .thenApply(
                        e -> {
                            LOG.infof(
                                    "release %s: image %s of %s pushed without a release label by"
                                            + " %s (in releaseByPush): new release (%s)",
                                    releaseId, push, app.name(), push.actor(), e.id());
                            return Outcome.PUBLISHED;
                        });
    }

    /**
     * A push labelled with a release: {@code image.pushed} (caused by the release's {@code
     * build.succeeded}) only when its digest is the one that build produced.
     */
    private CompletionStage<Outcome> labelled(
            ManifestPush push, Fleet.App app, String releaseId, EventEnvelope<CanaryEvent> cause) {
        String buildDigest =
                cause != null && cause.data() instanceof BuildSucceeded b ? b.digest() : null;
        if (cause == null || buildDigest == null || !buildDigest.equals(push.digest())) {
            String reason =
                    cause == null
                            ? Reasons.noBuild(releaseId, config.releaseWait())
                            : Reasons.digestMismatch(releaseId, push.digest(), buildDigest);
            return reject(
                    cause,
                    new ImageRejected(
                            releaseId,
                            app.name(),
                            push.repository(),
                            push.tag(),
                            push.digest(),
                            buildDigest,
                            push.actor(),
                            reason));
        }
        ImagePushed data =
                new ImagePushed(
                        releaseId,
                        app.name(),
                        push.repository(),
                        push.tag(),
                        push.digest(),
                        push.actor());
        return publisher
                .publish(cause, data)
                .thenApply(
                        e -> {
                            LOG.infof(
                                    "release %s: image %s of %s pushed by %s (%s, caused by"
                                            + " build.succeeded %s)",
                                    releaseId, push, app.name(), push.actor(), e.id(), cause.id());
                            return Outcome.PUBLISHED;
                        });
    }

    private CompletionStage<Outcome> reject(
            EventEnvelope<CanaryEvent> cause, ImageRejected rejected) {
        return publisher
                .publish(cause, rejected)
                .thenApply(
                        e -> {
                            LOG.warnf(
                                    "release %s: image %s/%s:%s@%s refused, no host is touched: %s"
                                            + " (%s)",
                                    rejected.releaseId(),
                                    fleet.registry().address(),
                                    rejected.repository(),
                                    rejected.tag(),
                                    rejected.digest(),
                                    rejected.reason(),
                                    e.id());
                            return Outcome.REJECTED;
                        });
    }

    /**
     * The release id of a push without a label: derived from the push itself, so processing it
     * again after a crash names the same release.
     */
    static String newReleaseId(ManifestPush push) {
        return UUID.nameUUIDFromBytes(
                        ("registry-push " + push.key()).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
