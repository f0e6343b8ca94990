package dev.canaryrelease.dns.domain;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What must change so that a target holds what is wanted (pure). */
public final class Diff {
    private Diff() {}

    /**
     * One change per name among {@code names} (plus every observed name) whose observed RRsets
     * differ from the wanted one.
     */
    public static List<Change> changes(
            Set<String> names,
            Map<String, RecordSet> wanted,
            Map<String, List<RecordSet>> observed,
            boolean withTtl) {
        Set<String> all = new LinkedHashSet<>(names);
        all.addAll(observed.keySet());
        List<Change> out = new ArrayList<>();
        for (String name : all) {
            RecordSet w = wanted.get(name);
            List<RecordSet> o = observed.getOrDefault(name, List.of());
            if (!matches(w, o, withTtl)) {
                out.add(new Change(name, w, o));
            }
        }
        return out;
    }

    /** Whether {@code observed} is exactly {@code wanted} (nothing, when wanted is null). */
    public static boolean matches(RecordSet wanted, List<RecordSet> observed, boolean withTtl) {
        if (wanted == null) {
            return observed.isEmpty();
        }
        return observed.size() == 1 && wanted.sameAs(observed.get(0), withTtl);
    }
}
