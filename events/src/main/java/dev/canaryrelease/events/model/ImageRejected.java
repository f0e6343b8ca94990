package dev.canaryrelease.events.model;

/**
 * registry-service: a manifest push of an app's image that starts nothing and reaches no host.
 * Either its release label names a release whose {@code build.succeeded} produced another digest
 * (or no {@code build.succeeded} came), or it has no label and {@code pushedBy} is not in the app's
 * {@code releaseByPush}.
 *
 * @param releaseId the release its label names, or the id an unlabelled push would have started
 * @param digest the digest that was pushed
 * @param buildDigest the digest of the release's {@code build.succeeded} (null: none seen, or an
 *     unlabelled push)
 * @param pushedBy the registry user who pushed it (the notification's {@code actor.name}; null if
 *     the registry named none)
 * @param reason why, in words
 */
public record ImageRejected(
        String releaseId,
        String app,
        String repository,
        String tag,
        String digest,
        String buildDigest,
        String pushedBy,
        String reason)
        implements CanaryEvent, OfApp, WithReason {}
