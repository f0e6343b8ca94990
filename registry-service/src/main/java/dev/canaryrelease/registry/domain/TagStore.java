package dev.canaryrelease.registry.domain;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JavaType;

/**
 * When each tag was pushed, from the registry's notifications (the registry API does not say). Kept
 * in {@code tags.json} of the data folder; null file = memory only.
 */
public final class TagStore {
    /** One tag of a repository as last pushed. */
    public record Pushed(String repository, String tag, String digest, Instant pushedAt) {}

    private final Path file;
    private final Map<String, Pushed> tags = new HashMap<>();
    private boolean dirty;

    public TagStore(Path file) {
        this.file = file;
        JavaType type =
                JsonFiles.JSON.getTypeFactory().constructCollectionType(List.class, Pushed.class);
        List<Pushed> saved = JsonFiles.read(file, type, List.of());
        saved.forEach(p -> tags.put(id(p.repository(), p.tag()), p));
    }

    /** Records a push unless a later push of the same tag is already known. */
    public synchronized void record(String repository, String tag, String digest, Instant at) {
        Pushed old = tags.get(id(repository, tag));
        if (old != null && old.pushedAt() != null && old.pushedAt().isAfter(at)) {
            return;
        }
        tags.put(id(repository, tag), new Pushed(repository, tag, digest, at));
        save();
    }

    /** When {@code tag} was pushed pointing at {@code digest}, if known. */
    public synchronized Optional<Instant> pushedAt(String repository, String tag, String digest) {
        Pushed p = tags.get(id(repository, tag));
        return p != null && p.digest().equals(digest)
                ? Optional.ofNullable(p.pushedAt())
                : Optional.empty();
    }

    /** Forgets the tags of a repository that pointed at deleted manifests. */
    public synchronized void forgetDigests(String repository, List<String> digests) {
        if (tags.values()
                .removeIf(p -> p.repository().equals(repository) && digests.contains(p.digest()))) {
            save();
        }
    }

    public synchronized List<Pushed> all() {
        return List.copyOf(tags.values());
    }

    /**
     * Marks the file out of date; {@link #flush()} writes it (every second and at shutdown), so a
     * burst of pushes does not rewrite it once per push. A crash loses at most the last second of
     * push times (the tags themselves are in the registry).
     */
    private void save() {
        dirty = true;
    }

    /** Writes the file if it changed. */
    public synchronized void flush() {
        if (dirty) {
            JsonFiles.write(file, List.copyOf(tags.values()));
            dirty = false;
        }
    }

    private static String id(String repository, String tag) {
        return repository + ":" + tag;
    }
}
