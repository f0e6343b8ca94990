package dev.canaryrelease.registry.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What retention deletes in one repository: the manifests of every tag but the newest {@code keep},
 * except a manifest that a kept tag also names, that runs on a host or that is a host's previous
 * image. Deleting a manifest removes every tag that names it, so the plan is by digest. Pure; the
 * order of the input does not matter.
 */
public final class RetentionPlan {
    /** A tag, its manifest and when it was pushed (null = unknown, counted as oldest). */
    public record Tag(String tag, String digest, Instant pushedAt) {}

    /**
     * @param delete manifests to delete, oldest first
     * @param deletedTags tags that go with them
     * @param protectedKept old manifests kept because a host runs them or can roll back to them
     */
    public record Plan(List<String> delete, List<String> deletedTags, List<String> protectedKept) {}

    static final Comparator<Tag> NEWEST_FIRST =
            Comparator.comparing(Tag::pushedAt, Comparator.nullsLast(Comparator.reverseOrder()))
                    .thenComparing(Tag::tag, Comparator.reverseOrder());

    private RetentionPlan() {}

    public static Plan plan(List<Tag> tags, int keep, Set<String> protectedDigests) {
        List<Tag> sorted = new ArrayList<>(tags);
        sorted.sort(NEWEST_FIRST);
        int k = Math.max(0, Math.min(keep, sorted.size()));
        Set<String> kept = new LinkedHashSet<>();
        for (Tag t : sorted.subList(0, k)) {
            kept.add(t.digest());
        }
        List<Tag> old = sorted.subList(k, sorted.size());
        Set<String> delete = new LinkedHashSet<>();
        Set<String> protectedKept = new LinkedHashSet<>();
        List<String> deletedTags = new ArrayList<>();
        for (int i = old.size() - 1; i >= 0; i--) {
            Tag t = old.get(i);
            if (kept.contains(t.digest())) {
                continue;
            }
            if (protectedDigests.contains(t.digest())) {
                protectedKept.add(t.digest());
                continue;
            }
            delete.add(t.digest());
            deletedTags.add(t.tag());
        }
        return new Plan(List.copyOf(delete), deletedTags, List.copyOf(protectedKept));
    }
}
