package dev.canaryrelease.events.codec;

/** A record on a topic that is not a readable CloudEvent of the suite; it goes to dead letters. */
public class PoisonEventException extends RuntimeException {
    public PoisonEventException(String message) {
        super(message);
    }

    public PoisonEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
