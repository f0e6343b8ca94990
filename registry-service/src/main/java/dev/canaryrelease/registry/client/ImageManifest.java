package dev.canaryrelease.registry.client;

import java.util.List;

/**
 * A verified manifest: its digest (as the registry computes it), media type and either its config
 * blob (an image manifest) or its per-platform manifests (an index / manifest list).
 */
public record ImageManifest(
        String repository,
        String digest,
        String mediaType,
        String configDigest,
        List<Platform> manifests) {

    /** One entry of an index: a platform's manifest. */
    public record Platform(String digest, String mediaType, String os, String architecture) {
        /** Attestation manifests of buildx carry the platform unknown/unknown. */
        public boolean isImage() {
            return !"unknown".equals(os);
        }
    }

    public boolean isIndex() {
        return configDigest == null;
    }
}
