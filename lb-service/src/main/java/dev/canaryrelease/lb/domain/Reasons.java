package dev.canaryrelease.lb.domain;

import java.time.Duration;

/** Every reason string this service puts in an event, in one place. */
public final class Reasons {
    private Reasons() {}

    public static String unknownApp(String app) {
        return "unknown app '" + app + "': it is not in the fleet";
    }

    public static String belowMinReady(ServerKey key, long readyOthers, int minReady) {
        return "refused: draining "
                + key
                + " would leave "
                + readyOthers
                + " ready server(s) in backend '"
                + key.backend()
                + "', fewer than rollout.minReady "
                + minReady;
    }

    public static String undone(String what) {
        return what + "; the server was put back as it was";
    }

    public static String notUp(ServerKey key, Duration timeout, String lastCheck) {
        return key
                + " did not pass HAProxy's health check within "
                + timeout.toMillis()
                + " ms (last check: "
                + lastCheck
                + "); it was put back in maint";
    }
}
