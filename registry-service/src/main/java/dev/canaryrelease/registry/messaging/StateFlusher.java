package dev.canaryrelease.registry.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.scheduler.Scheduled;

import dev.canaryrelease.registry.domain.TagStore;

/** Writes the tag push times to the data folder once a second when they changed. */
@ApplicationScoped
public class StateFlusher {
    private final TagStore tags;

    public StateFlusher(TagStore tags) {
        this.tags = tags;
    }

    @Scheduled(
            identity = "registry-state-flush",
            every = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void flush() {
        tags.flush();
    }
}
