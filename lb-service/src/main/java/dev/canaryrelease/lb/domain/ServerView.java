package dev.canaryrelease.lb.domain;

/**
 * One server as one HAProxy instance sees it: admin state (from {@code show servers state}), the
 * {@code status} column of {@code show stat} (UP, DOWN, "DOWN 1/2", MAINT, DRAIN, no check),
 * weight, current sessions, total sessions, 5xx responses and the last health check.
 */
public record ServerView(
        String loadBalancer,
        String backend,
        String server,
        AdminState admin,
        String status,
        int weight,
        int sessions,
        long totalRequests,
        long http5xx,
        String checkStatus) {

    /** HAProxy's health check (or the absence of one) says the server can take traffic. */
    public boolean up() {
        return status.startsWith("UP") || status.equals("no check");
    }

    /** Fully up: UP and not on its way down ({@code UP 1/2}). */
    public boolean checkedUp() {
        return status.equals("UP") || status.equals("no check");
    }

    /** In rotation: admin ready and up. */
    public boolean ready() {
        return admin == AdminState.READY && up();
    }

    public ServerKey key() {
        return new ServerKey(backend, server);
    }
}
