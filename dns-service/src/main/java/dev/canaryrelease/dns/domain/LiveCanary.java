package dev.canaryrelease.dns.domain;

import java.util.List;

/** A canary that is live: {@code canary.<app>} points at its hosts' addresses. */
public record LiveCanary(String app, String releaseId, List<String> hosts) {
    public LiveCanary {
        hosts = List.copyOf(hosts);
    }
}
