package dev.canaryrelease.deploy.client;

/** A Docker engine could not do what was asked; the message says what, on which host, and why. */
public class HostException extends RuntimeException {
    public HostException(String message, Throwable cause) {
        super(message, cause);
    }

    public HostException(String message) {
        super(message);
    }
}
