package dev.canaryrelease.registry.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.canaryrelease.registry.domain.HostDigests;
import dev.canaryrelease.registry.domain.PushJournal;
import dev.canaryrelease.registry.domain.TagStore;

/**
 * The files registry-service keeps, in {@code <canary.data-dir>/registry-service/}: the push queue,
 * the tag push times and the host digests.
 */
@ApplicationScoped
public class DataDir {
    private final Path dir;
    private final RegistryServiceConfig config;

    public DataDir(
            @ConfigProperty(name = "canary.data-dir") Path dataDir, RegistryServiceConfig config) {
        this.dir = dataDir.resolve("registry-service").toAbsolutePath();
        this.config = config;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data folder " + dir, e);
        }
    }

    public Path dir() {
        return dir;
    }

    @Produces
    @Singleton
    PushJournal journal() {
        return PushJournal.open(dir, config.queueFsync(), config.dedupeCapacity());
    }

    void closeJournal(@jakarta.enterprise.inject.Disposes PushJournal journal) {
        journal.close();
    }

    @Produces
    @Singleton
    TagStore tags() {
        return new TagStore(dir.resolve("tags.json"));
    }

    void flushTags(@jakarta.enterprise.inject.Disposes TagStore tags) {
        tags.flush();
    }

    @Produces
    @Singleton
    HostDigests hosts() {
        return new HostDigests(dir.resolve("hosts.json"));
    }
}
