package dev.canaryrelease.dns.domain;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Where the records live: a BIND primary, or one host's hosts file. */
public interface DnsTarget {
    /** A short description for logs, events and {@code GET /records} (never a secret). */
    String id();

    /** Whether TTLs are kept (hosts files have none). */
    boolean keepsTtl();

    /** The records as this target can hold them (hosts files: CNAMEs flattened to addresses). */
    default List<RecordSet> adapt(List<RecordSet> wanted) {
        return wanted;
    }

    /**
     * The A and CNAME RRsets the target has for {@code names} (and, for a target whose records are
     * all ours, every other name it holds). Names with nothing are absent from the map.
     */
    Map<String, List<RecordSet>> read(Set<String> names) throws DnsException;

    /**
     * Applies {@code changes} and verifies them by reading back. {@code all} is every record the
     * target should hold (after {@link #adapt}). Each outcome is whole: applied and verified, or
     * not applied.
     */
    List<Outcome> apply(List<Change> changes, List<RecordSet> all);

    /**
     * The result of one change: {@code reason} is null when it was applied and verified; {@code
     * stale} when it was not applied because the target changed since it was read (read again and
     * retry).
     */
    record Outcome(Change change, String reason, boolean stale) {
        public Outcome(Change change, String reason) {
            this(change, reason, false);
        }

        public boolean ok() {
            return reason == null;
        }
    }
}
