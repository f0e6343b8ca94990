package dev.canaryrelease.builder.domain;

/** A build stopped for a reason a person can act on; the message is the event's reason. */
public class BuildFailure extends Exception {
    public BuildFailure(String reason) {
        super(reason);
    }

    public BuildFailure(String reason, Throwable cause) {
        super(reason, cause);
    }

    public String reason() {
        return getMessage();
    }
}
