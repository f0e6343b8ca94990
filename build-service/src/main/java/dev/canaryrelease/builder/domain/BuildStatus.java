package dev.canaryrelease.builder.domain;

/** Where a build is. {@link #SUCCEEDED} and {@link #FAILED} are final. */
public enum BuildStatus {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED;

    public boolean terminal() {
        return this == SUCCEEDED || this == FAILED;
    }
}
