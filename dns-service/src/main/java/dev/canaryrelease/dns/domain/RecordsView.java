package dev.canaryrelease.dns.domain;

import java.time.Instant;
import java.util.List;

/** {@code GET /records}: every record kept, and what each target holds for it (read live). */
public record RecordsView(
        String backend,
        String zone,
        Instant lastReconcile,
        List<LiveCanary> liveCanaries,
        List<RecordView> records,
        List<String> unmanaged) {

    /**
     * One name. {@code wanted} false: a name this service keeps that should be gone (e.g. an ended
     * canary) but a target still holds. {@code verified}: every target holds it exactly.
     */
    public record RecordView(
            String name,
            String fqdn,
            String type,
            List<String> values,
            long ttl,
            String releaseId,
            boolean wanted,
            boolean verified,
            List<TargetState> targets) {}

    /** {@code state}: verified, missing, different, stale (should be gone) or unknown (error). */
    public record TargetState(
            String target, String state, List<RecordSet> observed, String error) {}
}
