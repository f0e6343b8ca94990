package dev.canaryrelease.events.analysis;

/**
 * One HAProxy server over one analysis window: the host it is, whether it runs the canary, its
 * status at the window's end as {@code show stat} gives it ({@code UP}, {@code DOWN 1/2}, {@code
 * MAINT}, …), the deltas over the window of {@code stot} (requests), {@code hrsp_5xx}, {@code econ}
 * (connection errors) and {@code eresp} (response errors), summed over the fleet's HAProxy
 * instances, and the per-request times of HAProxy's log lines ({@code %Tr}).
 */
public record ServerWindow(
        String host,
        String server,
        boolean canary,
        String status,
        long requests,
        long http5xx,
        long connectionErrors,
        long responseErrors,
        LatencyHistogram latency) {
    public ServerWindow {
        latency = latency == null ? LatencyHistogram.EMPTY : latency;
    }

    /** Every failed request of the window: 5xx answers, connection and response errors. */
    public long errors() {
        return http5xx + connectionErrors + responseErrors;
    }

    /**
     * HAProxy's checks say the server is down ({@code DOWN}, or {@code DOWN 1/2} on its way up).
     */
    public boolean down() {
        return status != null && status.startsWith("DOWN");
    }

    /** Taken out of rotation on purpose ({@code MAINT}, {@code DRAIN}). */
    public boolean outOfRotation() {
        return status != null && (status.startsWith("MAINT") || status.startsWith("DRAIN"));
    }
}
