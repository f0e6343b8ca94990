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

    /**
     * On its way up ({@code DOWN 1/2}: at least one passing check since it was DOWN) and its last
     * check passed ({@code check_status} L4OK, L6OK or L7OK; a {@code * } prefix means the next one
     * is running).
     */
    public boolean risingOnAPass() {
        String last = checkStatus.startsWith("* ") ? checkStatus.substring(2) : checkStatus;
        return status.startsWith("DOWN ")
                && (last.equals("L7OK") || last.equals("L6OK") || last.equals("L4OK"));
    }

    /**
     * Up but its last check failed ({@code UP 1/2}, or {@code DRAIN 1/2} for a drained server): on
     * its way down.
     */
    public boolean falling() {
        return (status.startsWith("UP ") || status.startsWith("DRAIN ")) && !checkedUp();
    }

    /** Fully up by its checks while drained ({@code DRAIN}: admin drain, UP, not falling). */
    public boolean checkedUpWhileDrained() {
        return status.equals("DRAIN");
    }

    /**
     * HAProxy health-checks it: {@code show stat} gives a check status only then. In maint it gives
     * none either way: taken to be checked.
     */
    public boolean checked() {
        return !status.equals("no check") && (admin == AdminState.MAINT || !checkStatus.isEmpty());
    }

    /** In rotation: admin ready and up. */
    public boolean ready() {
        return admin == AdminState.READY && up();
    }

    public ServerKey key() {
        return new ServerKey(backend, server);
    }
}
