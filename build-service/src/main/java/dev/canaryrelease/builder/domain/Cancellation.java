package dev.canaryrelease.builder.domain;

import java.io.Closeable;
import java.io.IOException;

/**
 * The stop switch of one build: a newer commit of the same app or the deadline cancels it with a
 * reason; the step running at that moment (a fetch, a docker build or push stream) registers the
 * resource to close so it stops at once instead of running to its end.
 */
public final class Cancellation {
    private volatile String reason;
    private Closeable current;

    /** Cancels with {@code reason}; false if it was already cancelled (the first reason wins). */
    public boolean cancel(String why) {
        Closeable toClose;
        synchronized (this) {
            if (reason != null) {
                return false;
            }
            reason = why;
            toClose = current;
            current = null;
        }
        closeQuietly(toClose);
        return true;
    }

    public boolean cancelled() {
        return reason != null;
    }

    /** The reason of the cancellation, null if not cancelled. */
    public String reason() {
        return reason;
    }

    /** Registers what to close on cancel (replacing the previous step's); closes it if late. */
    public void onCancel(Closeable step) {
        boolean late;
        synchronized (this) {
            late = reason != null;
            current = late ? null : step;
        }
        if (late) {
            closeQuietly(step);
        }
    }

    /** Forgets the current step (it finished). */
    public synchronized void clear() {
        current = null;
    }

    /** Throws the cancellation as a failure if cancelled. */
    public void check() throws BuildFailure {
        String r = reason;
        if (r != null) {
            throw new BuildFailure(r);
        }
    }

    private static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                // the step fails on its own and the cancel reason is reported
            }
        }
    }
}
