package dev.canaryrelease.registry.client;

/** The registry API failed or answered something unexpected. */
public class RegistryException extends RuntimeException {
    private final boolean transientFailure;

    public RegistryException(String message, boolean transientFailure, Throwable cause) {
        super(message, cause);
        this.transientFailure = transientFailure;
    }

    public RegistryException(String message, boolean transientFailure) {
        this(message, transientFailure, null);
    }

    /** Whether trying again later may succeed (connection failure, 5xx, 429). */
    public boolean isTransient() {
        return transientFailure;
    }
}
