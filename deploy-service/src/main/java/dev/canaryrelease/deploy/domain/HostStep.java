package dev.canaryrelease.deploy.domain;

/** Where one host of a release is in its cycle (drain → swap → enable, or the way back). */
public enum HostStep {
    /** Not started yet. */
    WAITING,
    /** {@code host.update-requested} sent, waiting for {@code host.drained}. */
    DRAINING,
    /** Drained: the container swap runs. */
    SWAPPING,
    /** {@code host.updated} sent, waiting for {@code host.enabled}. */
    ENABLING,
    /** Serves the release's image. */
    DONE,
    /** Never touched and never will be (the release ended first). */
    SKIPPED,
    /** Serves the new image but must go back to the previous one. */
    REVERT_PENDING,
    /** Going back: waiting for {@code host.drained}. */
    REVERT_DRAINING,
    /** Going back: the retained container is being restarted. */
    REVERT_SWAPPING,
    /** Going back: the previous container runs, waiting for {@code host.enabled}. */
    REVERT_ENABLING,
    /** Back on the previous image and in the pool. */
    REVERTED,
    /** Going back failed; the reason is on the host. Needs a person. */
    REVERT_FAILED;

    /**
     * The answer of lb-service this step waits for ({@code host.drained} or {@code host.enabled}),
     * or null when it waits for no one else.
     */
    public String awaitedAnswer() {
        return switch (this) {
            case DRAINING, REVERT_DRAINING -> "host.drained";
            case ENABLING, REVERT_ENABLING -> "host.enabled";
            default -> null;
        };
    }

    /** Out of the pool because of this release right now (counts against maxUnavailable). */
    public boolean inFlight() {
        return switch (this) {
            case DRAINING, SWAPPING, ENABLING, REVERT_DRAINING, REVERT_SWAPPING, REVERT_ENABLING ->
                    true;
            default -> false;
        };
    }
}
