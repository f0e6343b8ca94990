package dev.canaryrelease.events.model;

/**
 * registry-service: a verified manifest push of an app's image.
 *
 * @param pushedBy the registry user who pushed it (the notification's {@code actor.name}); null in
 *     events written before the registry required credentials
 */
public record ImagePushed(
        String releaseId, String app, String repository, String tag, String digest, String pushedBy)
        implements CanaryEvent, OfApp {

    /** An image pushed by nobody known (events and tests from before credentials). */
    public ImagePushed(String releaseId, String app, String repository, String tag, String digest) {
        this(releaseId, app, repository, tag, digest, null);
    }
}
