package dev.canaryrelease.build.domain;

/**
 * The reasons of {@code build.failed}, in one place. Each starts with a fixed prefix (what failed)
 * followed by the details (why, and what to look at).
 */
public final class Reasons {
    /** A newer commit of the same app was requested: this build was cancelled. */
    public static final String SUPERSEDED = "superseded";

    public static final String CLONE_FAILED = "clone failed";
    public static final String COMMIT_NOT_FOUND = "commit not found";
    public static final String NO_DOCKERFILE = "no Dockerfile";
    public static final String BASE_IMAGE_REFUSED = "base image refused";
    public static final String STEP_FAILED = "build step failed";
    public static final String BUILD_FAILED = "build failed";
    public static final String PUSH_REFUSED = "push refused";
    public static final String ENGINE_UNREACHABLE = "engine unreachable";
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
