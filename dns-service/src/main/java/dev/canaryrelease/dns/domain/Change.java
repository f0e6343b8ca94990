package dev.canaryrelease.dns.domain;

import java.util.List;

/**
 * One name to fix: what the target has ({@code observed}, A and/or CNAME RRsets, maybe none) and
 * what it should have ({@code wanted}; null removes the name's A and CNAME records).
 */
public record Change(String name, RecordSet wanted, List<RecordSet> observed) {
    public Change {
        observed = List.copyOf(observed);
    }

    public boolean removal() {
        return wanted == null;
    }

    /** The type an event reports: the wanted one, or the one removed. */
    public String type() {
        if (wanted != null) {
            return wanted.type();
        }
        return observed.isEmpty() ? RecordSet.A : observed.get(0).type();
    }

    /** The value an event reports: empty for a removal. */
    public String value() {
        return wanted == null ? "" : wanted.value();
    }
}
