package dev.canaryrelease.events;

/**
 * The labels of the contract that live on images and containers rather than in events: what
 * build-service writes on every image, what registry-service reads to tie a push to its release,
 * and what deploy-service writes on every container it creates.
 */
public final class ImageLabels {
    /** On images: the commit built (OCI annotation). */
    public static final String REVISION = "org.opencontainers.image.revision";

    /** On images: the clone URL of the fleet's repository, without credentials (OCI annotation). */
    public static final String SOURCE = "org.opencontainers.image.source";

    /** On images: the release that built it; a push without it is a push by hand. */
    public static final String RELEASE_ID = "dev.canaryrelease.release-id";

    /** On containers: the manifest digest the container runs. */
    public static final String DIGEST = "dev.canaryrelease.digest";

    /** On containers: the digest the container replaced (the rollback target). */
    public static final String PREVIOUS_DIGEST = "dev.canaryrelease.previous-digest";

    private ImageLabels() {}
}
