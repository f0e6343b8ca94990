package dev.canaryrelease.registry.messaging;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.quarkus.scheduler.Scheduled;

import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.RetentionDeleted;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.registry.client.ImageConfig;
import dev.canaryrelease.registry.client.NotFoundException;
import dev.canaryrelease.registry.client.RegistryClient;
import dev.canaryrelease.registry.client.RegistryException;
import dev.canaryrelease.registry.client.TagDigest;
import dev.canaryrelease.registry.config.RegistryServiceConfig;
import dev.canaryrelease.registry.domain.HostDigests;
import dev.canaryrelease.registry.domain.RetentionPlan;
import dev.canaryrelease.registry.domain.TagStore;

/**
 * Retention, on a schedule, for the image repository of every app of the fleet: keeps the newest
 * {@code keep} tags and deletes the older manifests, never one that runs on a host or is a host's
 * previous image. Publishes {@code retention.deleted} per repository and logs what it deleted.
 */
@ApplicationScoped
public class RetentionJob {
    private static final Logger LOG = Logger.getLogger(RetentionJob.class);

    /** What one repository's run did. */
    public record Report(
            String repository, List<String> deleted, List<String> deletedTags, List<String> kept) {}

    private final Fleet fleet;
    private final RegistryClient registry;
    private final TagStore tags;
    private final HostDigests hosts;
    private final EventPublisher publisher;
    private final RegistryServiceConfig config;

    public RetentionJob(
            Fleet fleet,
            RegistryClient registry,
            TagStore tags,
            HostDigests hosts,
            EventPublisher publisher,
            RegistryServiceConfig config) {
        this.fleet = fleet;
        this.registry = registry;
        this.tags = tags;
        this.hosts = hosts;
        this.publisher = publisher;
        this.config = config;
    }

    @Scheduled(
            identity = "registry-retention",
            every = "${canary.registry.retention.every}",
            delayed = "${canary.registry.retention.delay}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            run();
        } catch (RuntimeException e) {
            LOG.errorf("retention run failed: %s", e.getMessage());
        }
    }

    /** One run over every app's repository. */
    public synchronized List<Report> run() {
        Set<String> repositories = new LinkedHashSet<>();
        fleet.apps().forEach(a -> repositories.add(a.image()));
        List<Report> reports = new ArrayList<>();
        for (String repository : repositories) {
            try {
                reports.add(run(repository));
            } catch (NotFoundException e) {
                LOG.debugf("retention: repository %s not in the registry yet", repository);
            } catch (RegistryException e) {
                LOG.warnf("retention of %s skipped: %s", repository, e.getMessage());
            }
        }
        return reports;
    }

    /** One run over one repository. */
    public synchronized Report run(String repository) {
        int keep = config.retention().keep();
        List<RetentionPlan.Tag> current = new ArrayList<>();
        for (TagDigest t : registry.tagDigests(repository)) {
            current.add(
                    new RetentionPlan.Tag(
                            t.tag(), t.digest(), pushedAt(repository, t.tag(), t.digest())));
        }
        // Read the protected set after listing: a host.updated that arrives meanwhile protects too.
        Set<String> protectedDigests = hosts.protectedDigests();
        RetentionPlan.Plan plan = RetentionPlan.plan(current, keep, protectedDigests);
        List<String> deleted = new ArrayList<>();
        for (String digest : plan.delete()) {
            if (hosts.protectedDigests().contains(digest)) {
                continue;
            }
            registry.deleteManifest(repository, digest);
            deleted.add(digest);
        }
        if (!deleted.isEmpty()) {
            tags.forgetDigests(repository, deleted);
            LOG.infof(
                    "retention of %s (keep %d): deleted %d manifests %s (tags %s); kept for hosts"
                            + " %s",
                    repository,
                    keep,
                    deleted.size(),
                    deleted,
                    plan.deletedTags(),
                    plan.protectedKept());
            publisher
                    .publish(new RetentionDeleted(CanaryEvent.NO_RELEASE, repository, deleted))
                    .toCompletableFuture()
                    .orTimeout(30, TimeUnit.SECONDS)
                    .join();
        } else {
            LOG.debugf("retention of %s (keep %d): nothing to delete", repository, keep);
        }
        return new Report(repository, deleted, plan.deletedTags(), plan.protectedKept());
    }

    private Instant pushedAt(String repository, String tag, String digest) {
        return tags.pushedAt(repository, tag, digest)
                .orElseGet(
                        () -> {
                            try {
                                ImageConfig c =
                                        registry.config(registry.manifest(repository, digest));
                                return c.created();
                            } catch (RegistryException e) {
                                return null;
                            }
                        });
    }
}
