package dev.canaryrelease.registry.domain;

/** A notification body that is not a registry event envelope; the reason is safe to return. */
public class MalformedNotificationException extends RuntimeException {
    public MalformedNotificationException(String reason) {
        super(reason);
    }

    public MalformedNotificationException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
