package dev.canaryrelease.lb.client;

/** A Runtime API operation failed; {@link #getMessage()} is a reason fit for an event. */
public class LoadBalancerException extends RuntimeException {
    /** What went wrong, so callers can choose their words. */
    public enum Kind {
        /** The socket could not be reached or did not answer in time. */
        UNREACHABLE,
        /** HAProxy answered with an error (no such backend/server, bad state...). */
        REJECTED
    }

    private final Kind kind;

    public LoadBalancerException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public LoadBalancerException(Kind kind, String message) {
        this(kind, message, null);
    }

    public Kind kind() {
        return kind;
    }
}
