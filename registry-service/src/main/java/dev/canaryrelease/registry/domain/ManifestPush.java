package dev.canaryrelease.registry.domain;

import java.time.Instant;

/**
 * A manifest pushed to the registry under a tag, as the registry notified it (not yet verified).
 *
 * @param notificationId the registry's event id (the same on a redelivery)
 * @param actor the registry user who pushed it ({@code actor.name}: with the registry's htpasswd
 *     auth, the user that logged in); null when the registry named none
 */
public record ManifestPush(
        String repository,
        String tag,
        String digest,
        String mediaType,
        Instant pushedAt,
        String notificationId,
        String actor) {

    /** The dedupe key: {@code repository@digest} plus the tag. */
    public String key() {
        return key(repository, digest, tag);
    }

    public static String key(String repository, String digest, String tag) {
        return repository + "@" + digest + " " + tag;
    }

    /** {@code repository:tag@digest}, for logs. */
    @Override
    public String toString() {
        return repository + ":" + tag + "@" + digest;
    }
}
