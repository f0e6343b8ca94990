package dev.canaryrelease.ctl;

/** canaryctl's exit codes, for CI pipelines (also in canaryctl/README.md). */
final class Exit {
    private Exit() {}

    /** Done; for {@code status}: the release is PROMOTED (or reached {@code --until}). */
    static final int OK = 0;

    /**
     * The release ended otherwise (FAILED, ABORTED, ROLLED_BACK, SUPERSEDED), the fleet file is
     * invalid, or the gateway refused the request (401, 403, 404, 409).
     */
    static final int REFUSED = 1;

    /** {@code status}: the timeout passed first. */
    static final int TIMEOUT = 2;

    /** A wrong command line. */
    static final int USAGE = 64;

    /** The gateway cannot be reached or is not ready (503). */
    static final int UNAVAILABLE = 69;
}
