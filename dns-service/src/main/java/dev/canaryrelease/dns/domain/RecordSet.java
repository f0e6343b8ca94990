package dev.canaryrelease.dns.domain;

import java.util.List;
import java.util.Objects;

/**
 * One RRset of the zone: {@code name} relative to the zone ({@code docker0}, {@code
 * canary.example}), {@code type} {@code A} or {@code CNAME}, its values sorted (addresses, or an
 * absolute name ending in a dot for a CNAME) and its TTL in seconds.
 */
public record RecordSet(String name, String type, List<String> values, long ttl) {
    public static final String A = "A";
    public static final String CNAME = "CNAME";

    public RecordSet {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        values = values.stream().sorted().distinct().toList();
    }

    /** Same name, type and values; the TTL too when {@code withTtl}. */
    public boolean sameAs(RecordSet other, boolean withTtl) {
        return other != null
                && name.equals(other.name)
                && type.equals(other.type)
                && values.equals(other.values)
                && (!withTtl || ttl == other.ttl);
    }

    /** The values as one string, e.g. for an event. */
    public String value() {
        return String.join(",", values);
    }
}
