package dev.canaryrelease.registry.domain;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import com.fasterxml.jackson.databind.JavaType;

/**
 * Which digest each host runs, per app, and the one it ran before (the rollback stock), from
 * deploy-service's {@code host.updated}. Retention never deletes either. Kept in {@code hosts.json}
 * of the data folder so a restart does not forget them; null file = memory only.
 */
public final class HostDigests {
    /** What a host runs for an app, as of {@code at} (the event's time). */
    public record HostState(
            String app, String host, String digest, String previousDigest, Instant at) {}

    private final Path file;
    private final Map<String, HostState> hosts = new LinkedHashMap<>();

    public HostDigests(Path file) {
        this.file = file;
        JavaType type =
                JsonFiles.JSON
                        .getTypeFactory()
                        .constructCollectionType(List.class, HostState.class);
        List<HostState> saved = JsonFiles.read(file, type, List.of());
        saved.forEach(h -> hosts.put(id(h.app(), h.host()), h));
    }

    /**
     * Applies a {@code host.updated}; an event older than what is known for that host (a
     * redelivery, out of order) changes nothing.
     *
     * @return whether the state changed
     */
    public synchronized boolean update(
            String app, String host, String digest, String previousDigest, Instant at) {
        String id = id(app, host);
        HostState old = hosts.get(id);
        if (old != null && old.at() != null && at != null && old.at().isAfter(at)) {
            return false;
        }
        HostState now = new HostState(app, host, digest, previousDigest, at);
        if (now.equals(old)) {
            return false;
        }
        hosts.put(id, now);
        JsonFiles.write(file, List.copyOf(hosts.values()));
        return true;
    }

    /** Every digest running on a host or kept as a host's previous image. */
    public synchronized Set<String> protectedDigests() {
        Set<String> s = new HashSet<>();
        for (HostState h : hosts.values()) {
            if (h.digest() != null) s.add(h.digest());
            if (h.previousDigest() != null) s.add(h.previousDigest());
        }
        return s;
    }

    /** Hosts running {@code digest}, in the order first seen. */
    public synchronized List<String> hostsRunning(String digest) {
        return hosts.values().stream()
                .filter(h -> Objects.equals(h.digest(), digest))
                .map(HostState::host)
                .distinct()
                .toList();
    }

    /** Hosts whose previous image (rollback target) is {@code digest}. */
    public synchronized List<String> hostsWithPrevious(String digest) {
        return hosts.values().stream()
                .filter(h -> Objects.equals(h.previousDigest(), digest))
                .map(HostState::host)
                .distinct()
                .toList();
    }

    public synchronized List<HostState> all() {
        return List.copyOf(hosts.values());
    }

    private static String id(String app, String host) {
        return app + "/" + host;
    }
}
