package dev.canaryrelease.events.analysis;

/**
 * One HAProxy server over one analysis window: the host it is, whether it runs the canary, its
 * status at the window's end as {@code show stat} gives it ({@code UP}, {@code DOWN 1/2}, {@code
 * MAINT}, …), the deltas over the window of {@code stot} (requests), {@code hrsp_5xx}, {@code econ}
 * (connection errors) and {@code eresp} (response errors), summed over the fleet's HAProxy
 * instances, the per-request times of HAProxy's log lines ({@code %Tr}), and the delta of {@code
 * wretr}: attempts on this server that HAProxy retried, elsewhere with {@code option redispatch}.
 * With {@code retry-on all-retryable-errors} (the suite's HAProxy configuration) a server's 500,
 * 502, 503 or 504 is retried on another server and never reaches {@code hrsp_5xx}: the client sees
 * the other server's answer, and only {@code wretr} shows that the server failed.
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
        LatencyHistogram latency,
        long retries) {
    public ServerWindow {
        latency = latency == null ? LatencyHistogram.EMPTY : latency;
    }

    /** A window of a server whose failures HAProxy did not retry. */
    public ServerWindow(
            String host,
            String server,
            boolean canary,
            String status,
            long requests,
            long http5xx,
            long connectionErrors,
            long responseErrors,
            LatencyHistogram latency) {
        this(
                host,
                server,
                canary,
                status,
                requests,
                http5xx,
                connectionErrors,
                responseErrors,
                latency,
                0);
    }

    /**
     * Every failed attempt of the window: 5xx answers, connection and response errors, and attempts
     * HAProxy retried.
     */
    public long errors() {
        return http5xx + connectionErrors + responseErrors + retries;
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
