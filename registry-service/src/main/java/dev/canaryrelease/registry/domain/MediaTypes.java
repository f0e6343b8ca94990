package dev.canaryrelease.registry.domain;

import java.util.Set;

/** Media types of the Docker registry (distribution) and OCI. */
public final class MediaTypes {
    /** Content type of a registry notification envelope. */
    public static final String EVENTS = "application/vnd.docker.distribution.events.v1+json";

    public static final String DOCKER_MANIFEST =
            "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST =
            "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";

    /** The manifests whose pushes become {@code image.pushed}. */
    public static final Set<String> MANIFESTS =
            Set.of(DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX);

    /** Lists of per-platform manifests. */
    public static final Set<String> INDEXES = Set.of(DOCKER_MANIFEST_LIST, OCI_INDEX);

    /**
     * The {@code Accept} header of every manifest request: without it the registry may answer with
     * a converted schema 1 manifest of another digest.
     */
    public static final String ACCEPT_MANIFESTS =
            String.join(", ", DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX);

    private MediaTypes() {}

    /** The media type without parameters, lower case; null stays null. */
    public static String base(String contentType) {
        if (contentType == null) return null;
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase();
    }
}
