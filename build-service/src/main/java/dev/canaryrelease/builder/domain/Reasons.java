package dev.canaryrelease.builder.domain;

/**
 * The reasons of {@code build.failed}, in one place. Each starts with a fixed prefix (what failed)
 * followed by the details (why, and what to look at).
 */
public final class Reasons {
    /** A newer commit of the same app was requested: this build was cancelled. */
    public static final String SUPERSEDED = "superseded";

    /**
     * Detail of {@link #SUPERSEDED} when the pushed commit is no longer the head of the app's
     * branch in the repository when the build fetches it (a replayed or late push).
     */
    public static final String NOT_THE_HEAD = "is no longer the head of";

    public static final String CLONE_FAILED = "clone failed";
    public static final String COMMIT_NOT_FOUND = "commit not found";
    public static final String NO_DOCKERFILE = "no Dockerfile";
    public static final String BASE_IMAGE_REFUSED = "base image refused";

    /**
     * The commit's files cannot be the build context as they are: a symbolic link (or the
     * Dockerfile, the context folder, {@code .dockerignore}) that leads outside the checkout or
     * never resolves, or a path the build-service reserves.
     */
    public static final String CONTEXT_REFUSED = "context refused";

    public static final String STEP_FAILED = "build step failed";
    public static final String BUILD_FAILED = "build failed";
    public static final String PUSH_REFUSED = "push refused";
    public static final String ENGINE_UNREACHABLE = "engine unreachable";

    /**
     * The build engine runs its containers as the host's root (no user namespace), so a root step
     * would not be bounded by the app's pids limit; see {@code canary.build.require-userns}.
     */
    public static final String ENGINE_NOT_ISOLATED = "engine not isolated";

    public static final String TIMEOUT = "timeout";
    public static final String UNKNOWN_APP = "unknown app";
    public static final String INTERNAL = "internal error";

    private Reasons() {}

    /** {@code <prefix>: <detail>}. */
    public static String of(String prefix, String detail) {
        return detail == null || detail.isBlank() ? prefix : prefix + ": " + detail;
    }

    /** Removes user info (user:token@) from a URL before it is logged or reported. */
    public static String redactUrl(String url) {
        if (url == null) {
            return null;
        }
        return url.replaceAll("(?<=://)[^/@\\s]+@", "***@");
    }
}
